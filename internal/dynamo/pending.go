// Pending extension writes of approved public apps.
//
// An approved public app's extension writes are not made: they are held in
// the app item's pending_changes.extensions (secrets included, like the
// extension items themselves) until a reviewer approves them.
//
//	hold a write       the read (BatchGetItem or the refused transaction), the Query of
//	                   AppExtensions, then UpdateApp (version = :read)
//	merge on approval  TransactWriteItems: Put app (version = :read, pending cleared),
//	                   Put client copy, Put extension (create: attribute_not_exists;
//	                   update: version = :base) or Delete extension (version = :base)
//	                   per op, Put SLOT#k (count = :was) with the count moved by the
//	                   aggregate change; :was is the live count recorded with the held
//	                   writes (live extensions of an approved app change only by this
//	                   merge). Puts, not Updates: the apps function may not UpdateItem.
//	                                                                            1 round trip

package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/devhub"
)

// pendingItem is devhub.PendingChanges as stored: the held extensions keep
// their secrets, which JSON (and so the domain types' tags) hides.
type pendingItem struct {
	CallbackURL     *string                `json:"callback_url,omitempty"`
	Scopes          []string               `json:"scopes,omitempty"`
	InstallationURL *string                `json:"installation_url,omitempty"`
	InReview        bool                   `json:"in_review"`
	SubmittedAt     *time.Time             `json:"submitted_at,omitempty"`
	Feedback        *devhub.ReviewFeedback `json:"feedback,omitempty"`
	Extensions      []pendingExtensionItem `json:"extensions,omitempty"`
	SlotCounts      map[string]int         `json:"slot_counts,omitempty"`
}

type pendingExtensionItem struct {
	Op          string         `json:"op"`
	ID          string         `json:"id"`
	BaseVersion int            `json:"base_version,omitempty"`
	LiveSlots   []string       `json:"live_slots,omitempty"`
	Extension   *extensionItem `json:"extension,omitempty"`
}

func pendingItemOf(p *devhub.PendingChanges) *pendingItem {
	if p == nil {
		return nil
	}
	it := &pendingItem{CallbackURL: p.CallbackURL, Scopes: p.Scopes, InstallationURL: p.InstallationURL,
		InReview: p.InReview, SubmittedAt: p.SubmittedAt, Feedback: p.Feedback, SlotCounts: p.SlotCounts}
	for _, op := range p.Extensions {
		x := pendingExtensionItem{Op: string(op.Op), ID: op.ID, BaseVersion: op.BaseVersion, LiveSlots: op.LiveSlots}
		if op.Extension != nil {
			rec := extensionRecord(op.Extension)
			x.Extension = &rec
		}
		it.Extensions = append(it.Extensions, x)
	}
	return it
}

func (it *pendingItem) changes() (*devhub.PendingChanges, error) {
	if it == nil {
		return nil, nil
	}
	p := &devhub.PendingChanges{CallbackURL: it.CallbackURL, Scopes: it.Scopes, InstallationURL: it.InstallationURL,
		InReview: it.InReview, SubmittedAt: it.SubmittedAt, Feedback: it.Feedback, SlotCounts: it.SlotCounts}
	for _, x := range it.Extensions {
		op := devhub.PendingExtension{Op: devhub.PendingOp(x.Op), ID: x.ID, BaseVersion: x.BaseVersion, LiveSlots: x.LiveSlots}
		if x.Extension != nil {
			e, err := extensionFromRecord(*x.Extension)
			if err != nil {
				return nil, err
			}
			op.Extension = e
		}
		p.Extensions = append(p.Extensions, op)
	}
	return p, nil
}

// appCheckOutcome explains the failed ConditionCheck of appOwnedBy, given
// the app item it returns: missing or another company's is not found; an
// approved public app's writes are held for review.
func appCheckOutcome(r types.CancellationReason, appID, company string) error {
	if r.Item == nil {
		return errAppNotFound(appID)
	}
	a, err := decodeApp(r.Item)
	if err != nil || !a.OwnedBy(company) {
		return errAppNotFound(appID)
	}
	if a.HoldsExtensionWrites() {
		return fmt.Errorf("app %s: %w: %w", appID, devhub.ErrHeldForReview,
			devhub.Errorf(devhub.ECONFLICT, "App %q is approved: its extension changes are held for review; retry.", appID))
	}
	return errAppNotFound(appID)
}

// MergePendingExtensions writes next, which is prev approved (its pending
// changes merged and cleared), and applies prev's pending extension writes,
// in one transaction: the app under its version, every extension under the
// version the write was made against, and the slot counters by the
// aggregate change. A limit that the merge would exceed cancels everything.
// Errors: ENOTFOUND (the app), ECONFLICT (the app or an extension changed,
// or a limit).
func (s *Store) MergePendingExtensions(ctx context.Context, prev, next *devhub.App) error {
	if prev.PendingChanges == nil {
		return s.UpdateApp(ctx, next, prev.Version)
	}
	app, client, err := appItems(next)
	if err != nil {
		return err
	}
	ops := prev.PendingChanges.Extensions
	items := []types.TransactWriteItem{
		{Put: &types.Put{
			TableName: &s.table, Item: app,
			ConditionExpression:                 aws.String("version = :v"),
			ExpressionAttributeValues:           map[string]types.AttributeValue{":v": num(int64(prev.Version))},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		{Put: &types.Put{TableName: &s.table, Item: client}},
	}
	items, first, err := s.extensionWrites(items, prev.ID, ops, prev.PendingChanges.SlotCounts)
	if err != nil {
		return err
	}
	if len(items) > 100 {
		return fmt.Errorf("merge pending changes of app %s: %d transaction items", prev.ID, len(items))
	}
	err = s.transact(ctx, items)
	reasons := cancellationReasons(err)
	if reasons == nil || failed(reasons, 0) {
		return appWriteOutcome(err, "merge pending changes of app", prev.ID)
	}
	for i, op := range ops {
		if failed(reasons, 2+i) {
			return errExtensionChanged(op.ID)
		}
	}
	for i := first; i < len(items); i++ {
		if failed(reasons, i) {
			return devhub.Errorf(devhub.ECONFLICT, "Other requests changed the app's extensions at this moment; retry.")
		}
	}
	return errBusy(err)
}

// extensionWrites appends to items the writes of ops on app appID's
// extensions, then the Puts that move each slot counter from its count in
// counts (how many live extensions hold it) by the aggregate change of ops.
// Creates are conditioned on the extension not existing, updates and deletes
// on BaseVersion. It returns the items and the index of the first slot item.
// A change that would take a slot past its maximum is its Conflict error.
// Both the merge of pending changes and a manifest's apply are made of it.
func (s *Store) extensionWrites(items []types.TransactWriteItem, appID string, ops []devhub.PendingExtension, counts map[string]int) ([]types.TransactWriteItem, int, error) {
	for _, op := range ops {
		base := map[string]types.AttributeValue{":base": num(int64(op.BaseVersion))}
		switch op.Op {
		case devhub.PendingDelete:
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{
				TableName: &s.table, Key: key(appPK(appID), extSK(op.ID)),
				ConditionExpression: aws.String("version = :base"), ExpressionAttributeValues: base,
			}})
		default:
			if op.Extension == nil {
				return nil, 0, fmt.Errorf("write extension %s of app %s: %s without a state", op.ID, appID, op.Op)
			}
			item, err := extensionItemOf(op.Extension)
			if err != nil {
				return nil, 0, err
			}
			put := &types.Put{TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")}
			if op.Op == devhub.PendingUpdate {
				put.ConditionExpression, put.ExpressionAttributeValues = aws.String("version = :base"), base
			}
			items = append(items, types.TransactWriteItem{Put: put})
		}
	}
	acquire, release := (&devhub.PendingChanges{Extensions: ops}).ExtensionSlotDeltas()
	first := len(items)
	for _, d := range acquire {
		c := counts[d.Slot.Key]
		if c+d.N > d.Slot.Max {
			return nil, 0, d.Slot.Conflict()
		}
		items = append(items, s.putSlot(appID, d.Slot.Key, c, c+d.N))
	}
	for _, d := range release {
		c := counts[d.Slot.Key]
		if c < d.N {
			return nil, 0, fmt.Errorf("release slot %s of app %s: its counter is below %d", d.Slot.Key, appID, d.N)
		}
		items = append(items, s.putSlot(appID, d.Slot.Key, c, c-d.N))
	}
	return items, first, nil
}

// putSlot sets the counter of slot slotKey from was to n, provided it is
// still was: the merge's transaction fails if anything moved it meanwhile.
func (s *Store) putSlot(appID, slotKey string, was, n int) types.TransactWriteItem {
	cond := "#n = :was"
	if was == 0 {
		cond = "attribute_not_exists(#n) OR #n = :was"
	}
	return types.TransactWriteItem{Put: &types.Put{
		TableName: &s.table,
		Item: map[string]types.AttributeValue{
			attrPK: &types.AttributeValueMemberS{Value: appPK(appID)}, attrSK: &types.AttributeValueMemberS{Value: skSlotPrefix + slotKey},
			"type": &types.AttributeValueMemberS{Value: typeSlot}, "count": num(int64(n)),
		},
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#n": "count"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":was": num(int64(was))},
	}}
}
