package devhub

import "errors"

// Page is one page of a list and the cursor of the next ("" at the end).
// Stores return it and use cases pass it on; it lives here, not in a store,
// so that code which lists (internal/hub) needs no store package.
type Page[T any] struct {
	Items      []T
	NextCursor string
}

// ErrStale marks an ECONFLICT that means "changed since it was read", as
// opposed to "a limit is reached": a client that sent If-Match gets 412 for
// the first and 409 for the second, which share a code. Stores join it to
// their ECONFLICT error; callers test it with errors.Is.
var ErrStale = errors.New("devhub: item changed since it was read")
