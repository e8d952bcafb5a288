package httpapi_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/devhub-oss/devhub/internal/devhub"
)

func TestExtensionKeys(t *testing.T) {
	e := newEnv(t)
	app := e.createApp(t, alice, validApp())
	keyOf := func(r *response) any {
		var x map[string]any
		r.decode(t, &x)
		return x["key"]
	}
	t.Run("OK create, patch and clear", func(t *testing.T) {
		body := validExtension(devhub.ExtLinkAction)
		body["key"] = "send-quote"
		res := e.do(t, "POST", extPath(app.ID), &alice, body).want(t, http.StatusCreated)
		if keyOf(res) != "send-quote" {
			t.Fatalf("created: %s", res.Body)
		}
		var x extension
		res.decode(t, &x)
		if k := keyOf(e.do(t, "PATCH", extPath(app.ID, x.ID), &alice, `{"key":"quote"}`).want(t, http.StatusOK)); k != "quote" {
			t.Errorf("patched key: %v", k)
		}
		// The old key is free again, the new one taken.
		body["key"] = "send-quote"
		body["locations"] = []string{"deals_list"}
		e.do(t, "POST", extPath(app.ID), &alice, body).want(t, http.StatusCreated)
		if k := keyOf(e.do(t, "PATCH", extPath(app.ID, x.ID), &alice, `{"key":null}`).want(t, http.StatusOK)); k != nil {
			t.Errorf("cleared key: %v", k)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, k := range []string{"Upper", "", "with space", "ext-0123456789abcdefghijklmnop", "a234567890123456789012345678901234567890x"} {
			body := validExtension(devhub.ExtCustomModal)
			body["key"] = k
			res := e.do(t, "POST", extPath(app.ID), &alice, body)
			if k == "" {
				res.want(t, http.StatusCreated) // "" is no key
				continue
			}
			res.want(t, http.StatusUnprocessableEntity)
			if f := res.fields(t); !slices.Contains(f, "key") {
				t.Errorf("%q: fields %v", k, f)
			}
		}
	})
	t.Run("ErrTakenUnderRace", func(t *testing.T) {
		var wg sync.WaitGroup
		statuses := make(chan int, 6)
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := validExtension(devhub.ExtCustomModal)
				body["key"] = "the-one"
				statuses <- e.do(t, "POST", extPath(app.ID), &alice, body).Status
			}()
		}
		wg.Wait()
		close(statuses)
		count := map[int]int{}
		for s := range statuses {
			count[s]++
		}
		if count[http.StatusCreated] != 1 || count[http.StatusConflict] != 5 {
			t.Errorf("got %v, want one 201 and five 409", count)
		}
	})
}
