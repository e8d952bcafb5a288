// Manifests: an app and its extensions written as one change.
//
//	export / dry run   the Query of AppExtensions (app item and every extension)   1 round trip
//	apply              that Query, then TransactWriteItems: Put app (version = :read), Put client
//	                   copy, Put extension (create: attribute_not_exists; update: version = :read)
//	                   or Delete extension (version = :read) per change, Put SLOT#k (count = :was)
//	                   per slot whose count moves, :was counted from the extensions read
//	                   (every extension write moves its slots in its own transaction, so
//	                   the counters equal those counts unless a write came in between, which
//	                   fails the condition). On an approved public app only the two app
//	                   Puts: the writes are held in its pending changes.         2 round trips
//	no-op apply        the Query alone: nothing is written                        1 round trip
//	create from one    TransactWriteItems: Put app and client copy (attribute_not_exists), Put
//	                   extension (attribute_not_exists) each, Put SLOT#k (attribute_not_exists)
//	                   per slot, [Put idempotency]                                 1 round trip
//
// Puts, not Updates, as in the merge of pending changes: the apps function,
// which serves manifests, may not UpdateItem.

package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/devhub"
)

// MaxTransactItems is how many items one TransactWriteItems may hold.
const MaxTransactItems = 100

func errTooLargeForOneWrite(n int) error {
	return devhub.Errorf(devhub.EINVALID, "The manifest changes too much for one atomic write: it needs %d items, and one transaction holds at most %d. "+
		"Apply it in two steps, for example first a manifest without the extensions it replaces.", n, MaxTransactItems)
}

// manifestOps returns a plan's extension writes as the operations the merge
// of pending changes is made of, against the versions read.
func manifestOps(plan *devhub.ManifestPlan) []devhub.PendingExtension {
	ops := make([]devhub.PendingExtension, 0, len(plan.Creates)+len(plan.Updates)+len(plan.Deletes))
	liveSlots := func(e *devhub.Extension) []string {
		var keys []string
		for _, s := range e.Slots() {
			keys = append(keys, s.Key)
		}
		return keys
	}
	for _, e := range plan.Creates {
		ops = append(ops, devhub.PendingExtension{Op: devhub.PendingCreate, ID: e.ID, Extension: e})
	}
	for _, u := range plan.Updates {
		ops = append(ops, devhub.PendingExtension{Op: devhub.PendingUpdate, ID: u.Next.ID, Extension: u.Next,
			BaseVersion: u.Prev.Version, LiveSlots: liveSlots(u.Prev)})
	}
	for _, e := range plan.Deletes {
		ops = append(ops, devhub.PendingExtension{Op: devhub.PendingDelete, ID: e.ID, BaseVersion: e.Version, LiveSlots: liveSlots(e)})
	}
	return ops
}

// ApplyManifest writes plan, made by devhub.PlanManifest from prev and its
// live extensions live (as AppExtensions read them), in one transaction: the
// app under the version read, each extension write under the version read,
// and the slot counters by the aggregate change. Anything that moved since
// the read, a limit, or any refused item cancels all of it. A plan that
// changes nothing writes nothing. Errors: ENOTFOUND (the app is gone),
// ECONFLICT (the app changed: matches ErrStale; an extension or a slot
// changed; a limit), EINVALID (more than one transaction can hold).
func (s *Store) ApplyManifest(ctx context.Context, prev *devhub.App, live []*devhub.Extension, plan *devhub.ManifestPlan) error {
	if !plan.Changed() {
		return nil
	}
	next := plan.App
	if next.ID != prev.ID {
		return fmt.Errorf("apply manifest to app %s: the plan is for app %s", prev.ID, next.ID)
	}
	app, client, err := appItems(next)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{
			TableName: &s.table, Item: app,
			ConditionExpression:                 aws.String("version = :v"),
			ExpressionAttributeValues:           map[string]types.AttributeValue{":v": num(int64(prev.Version))},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		{Put: &types.Put{TableName: &s.table, Item: client}},
	}
	counts := map[string]int{}
	for _, e := range live {
		for _, sl := range e.Slots() {
			counts[sl.Key]++
		}
	}
	ops := manifestOps(plan)
	items, first, err := s.extensionWrites(items, prev.ID, ops, counts)
	if err != nil {
		return err
	}
	if len(items) > MaxTransactItems {
		return errTooLargeForOneWrite(len(items))
	}
	err = s.transact(ctx, items)
	reasons := cancellationReasons(err)
	if reasons == nil || failed(reasons, 0) {
		return appWriteOutcome(err, "apply manifest to app", prev.ID)
	}
	for i, op := range ops {
		if failed(reasons, 2+i) {
			return devhub.Errorf(devhub.ECONFLICT, "Extension %q was changed by another request meanwhile; read the manifest again and retry.", op.ID)
		}
	}
	for i := first; i < len(items); i++ {
		if failed(reasons, i) {
			return devhub.Errorf(devhub.ECONFLICT, "Other requests changed the app's extensions at this moment; read the manifest again and retry.")
		}
	}
	return errBusy(err)
}

// CreateManifestApp writes a new app, its extensions and their slot
// counters, and rec when not nil, in one transaction. When rec's key was
// used before, nothing is written and the earlier record comes back.
// Errors: EINVALID (more than one transaction can hold).
func (s *Store) CreateManifestApp(ctx context.Context, a *devhub.App, exts []*devhub.Extension, rec *Idempotency) (*Idempotency, error) {
	app, client, err := appItems(a)
	if err != nil {
		return nil, err
	}
	notExists := aws.String("attribute_not_exists(PK)")
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: app, ConditionExpression: notExists}},
		{Put: &types.Put{TableName: &s.table, Item: client, ConditionExpression: notExists}},
	}
	ops := make([]devhub.PendingExtension, len(exts))
	for i, e := range exts {
		if e.AppID != a.ID {
			return nil, fmt.Errorf("create app %s: extension %s is of app %s", a.ID, e.ID, e.AppID)
		}
		ops[i] = devhub.PendingExtension{Op: devhub.PendingCreate, ID: e.ID, Extension: e}
	}
	items, _, err = s.extensionWrites(items, a.ID, ops, nil)
	if err != nil {
		return nil, err
	}
	idem := -1
	if rec != nil {
		put, err := s.idempotencyPut(rec, s.Now())
		if err != nil {
			return nil, err
		}
		idem = len(items)
		items = append(items, types.TransactWriteItem{Put: put})
	}
	if len(items) > MaxTransactItems {
		return nil, errTooLargeForOneWrite(len(items))
	}
	err = s.transact(ctx, items)
	if reasons := cancellationReasons(err); reasons != nil {
		if idem >= 0 && failed(reasons, idem) && reasons[idem].Item != nil {
			return decodeIdempotency(reasons[idem].Item, rec)
		}
		if onlyConflicts(reasons) {
			return nil, errBusy(err)
		}
		// Identifiers carry 128 random bits: a collision means a fault.
		return nil, fmt.Errorf("create app %s from a manifest: identifier collision: %w", a.ID, err)
	}
	if err != nil {
		return nil, wrap("create app "+a.ID+" from a manifest", err)
	}
	return nil, nil
}
