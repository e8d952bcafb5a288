package preview_test

import (
	"os"
	"testing"

	"github.com/devhub-oss/devhub/internal/console/preview"
	"github.com/devhub-oss/devhub/internal/jsonschema"
)

func TestDump(t *testing.T) {
	if os.Getenv("DUMP") == "" {
		t.Skip()
	}
	for _, f := range []string{"modal-cake-order.json", "modal-visible-on.json"} {
		b, _ := os.ReadFile("testdata/" + f)
		t.Log(preview.CheckModal(jsonschema.New(), "Order a cake", b).String())
	}
	for _, f := range []string{"panel-multiple-object.json", "panel-developer-hub-sample.json"} {
		b, _ := os.ReadFile("testdata/" + f)
		t.Log(preview.CheckPanel(jsonschema.New(), "Deliveries", b).String())
	}
}
