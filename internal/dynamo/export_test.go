package dynamo

import (
	"context"

	"github.com/devhub-oss/devhub/internal/devhub"
)

// IndexListed is BackfillMarketplace's write of one app, for the test of a
// write that lands between its read and its update.
func (s *Store) IndexListed(ctx context.Context, a *devhub.App, sortKey string) error {
	return s.indexListed(ctx, a, str(sortKey))
}

// ErrMoved is what IndexListed returns when the app was written meanwhile.
var ErrMoved = errMoved
