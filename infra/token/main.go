// Command token prints a developer bearer token for local use, signed with
// AUTH_JWT_SECRET (or the local runner's dev secret).
//
//	go run ./infra/token -company acme -user alice -sandbox=true -roles marketplace_reviewer \
//	  -name "Alice Adams" -company-name "Acme Inc."
//
// -name and -company-name are the optional display claims name and
// company_name (shown on pages; decisions stay on the ids).
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/devhub-oss/devhub/internal/auth"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/service"
)

func main() {
	var (
		user    = flag.String("user", envOr("DEVHUB_USER", "dev-user"), "user id (sub); env DEVHUB_USER")
		company = flag.String("company", envOr("DEVHUB_COMPANY", "dev-company"), "company id; env DEVHUB_COMPANY")
		sandbox = flag.Bool("sandbox", envOr("DEVHUB_SANDBOX", "true") == "true", "sandbox company; env DEVHUB_SANDBOX")
		roles   = flag.String("roles", os.Getenv("DEVHUB_ROLES"), "comma-separated roles, e.g. marketplace_reviewer; env DEVHUB_ROLES")
		ttl     = flag.Duration("ttl", 12*time.Hour, "lifetime")
		name    = flag.String("name", os.Getenv("DEVHUB_NAME"), "the user's display name (claim name); env DEVHUB_NAME")
		cname   = flag.String("company-name", os.Getenv("DEVHUB_COMPANY_NAME"), "the company's display name (claim company_name); env DEVHUB_COMPANY_NAME")
	)
	flag.Parse()
	id := devhub.Identity{UserID: *user, CompanyID: *company, Sandbox: *sandbox, Name: *name, CompanyName: *cname}
	if *roles != "" {
		id.Roles = strings.Split(*roles, ",")
	}
	tok, err := auth.IssueToken([]byte(envOr("AUTH_JWT_SECRET", service.DevJWTSecret)), id,
		os.Getenv("AUTH_JWT_ISSUER"), os.Getenv("AUTH_JWT_AUDIENCE"), time.Now(), *ttl)
	if err != nil {
		fmt.Fprintln(os.Stderr, "token:", err)
		os.Exit(1)
	}
	fmt.Println(tok)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
