package preview

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzScanner holds the scanner to encoding/json: it accepts a document
// exactly when encoding/json does (below the depth bound), and reads the
// same values, in order, on the same lines as json.Decoder finds them.
func FuzzScanner(f *testing.F) {
	names, _ := filepath.Glob("testdata/*.json")
	for _, n := range names {
		b, _ := os.ReadFile(n)
		f.Add(b)
	}
	for _, s := range []string{`{"a":[1,-0.5e+3,true,null,"\u00e9\ud83d\ude00\n"]}`, `{"a":1,}`, `[01]`, "\"\xff\"", `"\ud800"`,
		`{"a" 1}`, `1 2`, ` `, `[1,2`, `"a\x"`, `{"a":"b"}` + "\n\n  ", `-`, `1.`, `1e`, "[\n1,\n{\"x\":\n2}]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, err := scan(doc)
		want, werr := parse(doc)
		if (err == nil) != (werr == nil) {
			if werr != nil && strings.Contains(werr.Error(), "deeper") && err != nil {
				return
			}
			t.Fatalf("scan error %v, decoder error %v, for %q", err, werr, doc)
		}
		if err != nil {
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("scan and decoder differ for %q:\n%+v\n%+v", doc, got, want)
		}
		if !json.Valid(doc) {
			t.Fatalf("accepted %q, which is not JSON", doc)
		}
	})
}
