package devhub_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// The one code → status table answers every code with its status (as the
// constants' comments say), through wrapping, and 500 for anything else.
func TestErrorStatus(t *testing.T) {
	for code, want := range map[string]int{
		devhub.EMALFORMED: 400, devhub.EUNAUTHORIZED: 401, devhub.EFORBIDDEN: 403, devhub.ENOTFOUND: 404,
		devhub.EMETHOD: 405, devhub.ECONFLICT: 409, devhub.EPRECONDITION: 412, devhub.ETOOLARGE: 413,
		devhub.EUNSUPPORTED: 415, devhub.EINVALID: 422, devhub.EINTERNAL: 500, devhub.EUNAVAILABLE: 503,
	} {
		err := fmt.Errorf("wrapped: %w", devhub.Errorf(code, "x"))
		if got := devhub.ErrorStatus(err); got != want {
			t.Errorf("%s: %d, want %d", code, got, want)
		}
	}
	for _, err := range []error{errors.New("plain"), devhub.Errorf("no_such_code", "x")} {
		if got := devhub.ErrorStatus(err); got != http.StatusInternalServerError {
			t.Errorf("%v: %d, want 500", err, got)
		}
	}
}
