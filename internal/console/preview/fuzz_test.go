package preview_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/devhub-oss/devhub/internal/console/preview"
	"github.com/devhub-oss/devhub/internal/devhub"
)

// FuzzPreview feeds any bytes to both previews: they never panic, every
// problem the validator finds is counted once, and the HTML is ours alone
// (balanced, with no tag or attribute the document could have injected).
func FuzzPreview(f *testing.F) {
	names, _ := filepath.Glob("testdata/*.json")
	for _, n := range names {
		b, _ := os.ReadFile(n)
		f.Add(b)
	}
	f.Add([]byte(`{"type":"object","properties":{"blocks":{"properties":{"a.b":{"$ref":"#/definitions/element-text","options":{"markdown":true,"value":"**<x>** _y_ [z](w) ` + "`c`" + `"}}}}}}`))
	f.Add([]byte(`{"properties":{"actions":{"properties":{"x":{"options":{"visibleOn":[{"a":{"equals":1}}]}}}}}}`))
	f.Add([]byte("{\"a\":\"\x00\xff\"}"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, kind := range []string{"modal", "panel"} {
			var p devhub.Problems
			var s *preview.Summary
			var h string
			if kind == "modal" {
				checker.CheckModalSchema(preview.ModalField, doc, &p)
				m := preview.NewModal("t", doc, devhub.ErrorFields(p.Err()))
				s, h = &m.Summary, m.String()
			} else {
				checker.CheckPanelSchema(preview.PanelField, doc, &p)
				pn := preview.NewPanel("t", doc, devhub.ErrorFields(p.Err()))
				s, h = &pn.Summary, pn.String()
			}
			if n := len(devhub.ErrorFields(p.Err())); !s.Broken && s.Total != n {
				t.Errorf("%s: counted %d problems, the validator found %d", kind, s.Total, n)
			}
			wellFormed(t, h)
			onlyOurMarkup(t, h)
		}
	})
}
