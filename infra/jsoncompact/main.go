// Command jsoncompact writes the compact form (encoding/json.Compact) of a
// JSON file: make generate uses it for internal/httpapi/openapi.min.json,
// the copy of openapi.json the apps function embeds.
//
//	go run ./infra/jsoncompact internal/httpapi/openapi.json internal/httpapi/openapi.min.json
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: jsoncompact <in.json> <out.json>")
		os.Exit(2)
	}
	in, err := os.ReadFile(os.Args[1])
	if err == nil {
		var out bytes.Buffer
		if err = json.Compact(&out, in); err == nil {
			err = os.WriteFile(os.Args[2], out.Bytes(), 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "jsoncompact:", err)
		os.Exit(1)
	}
}
