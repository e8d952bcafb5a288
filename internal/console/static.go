package console

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/devhub-oss/devhub/internal/devhub"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded file under its content-hashed name.
type asset struct {
	body        []byte
	contentType string
}

var (
	assets    = map[string]asset{}  // hashed name → file
	assetURLs = map[string]string{} // plain name → /static/<hashed name>
)

// The hashes are computed once, at init, over a few kilobytes.
func init() {
	_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := staticFS.ReadFile(p)
		sum := sha256.Sum256(b)
		name := path.Base(p)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		ct := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
			".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon"}[ext]
		assets[hashed] = asset{body: b, contentType: ct}
		assetURLs[name] = "/static/" + hashed
		return nil
	})
}

// AssetURL is the content-hashed URL of an embedded file ("console.css").
func AssetURL(name string) string { return assetURLs[name] }

// StaticSize is the total size of every embedded CSS and JS file (the
// budget of console.md: 30 KB).
func StaticSize() int {
	n := 0
	for _, a := range assets {
		n += len(a.body)
	}
	return n
}

// serveStatic serves an embedded file by its hashed name, cached forever.
func serveStatic(w http.ResponseWriter, r *http.Request) error {
	a, ok := assets[r.PathValue("file")]
	if !ok {
		return devhub.Errorf(devhub.ENOTFOUND, "No such file.")
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(a.body)
	return nil
}
