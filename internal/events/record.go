package events

import (
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Item types as internal/dynamo writes them (the "type" attribute).
const (
	itemApp          = "app"
	itemAppDeleted   = "app_deleted"
	itemInstallation = "installation"
	itemExtension    = "extension"
)

type kind int

const (
	kindNone      kind = iota // at most a domain event
	kindCascade               // run (or continue) an app's cascade
	kindUninstall             // notify the app of an ended installation
)

// task is what one record asks for.
type task struct {
	kind  kind
	appID string
	round int
	// inst is the ended installation (kindUninstall).
	inst installation
	// event is the record's domain event, nil if none. For kindUninstall
	// its reason is filled in once the app is read.
	event *Event
}

type installation struct {
	ID, AppID, ClientID, CompanyID, UserID string
}

// image reads a stream image's attributes; a missing or differently typed
// attribute reads as the zero value (the accessors of aws-lambda-go panic).
type image map[string]events.DynamoDBAttributeValue

func (m image) str(k string) string {
	if v, ok := m[k]; ok && v.DataType() == events.DataTypeString {
		return v.String()
	}
	return ""
}

func (m image) int(k string) int {
	if v, ok := m[k]; ok && v.DataType() == events.DataTypeNumber {
		n, _ := strconv.Atoi(v.Number())
		return n
	}
	return 0
}

func (m image) strs(k string) []string {
	v, ok := m[k]
	if !ok || v.DataType() != events.DataTypeList {
		return nil
	}
	var out []string
	for _, e := range v.List() {
		if e.DataType() == events.DataTypeString {
			out = append(out, e.String())
		}
	}
	return out
}

// byTTL reports whether DynamoDB's TTL process removed the item.
func byTTL(rec *events.DynamoDBEventRecord) bool {
	u := rec.UserIdentity
	return u != nil && u.Type == "Service" && u.PrincipalID == "dynamodb.amazonaws.com"
}

// classify reads what a record asks for. It does no I/O.
func classify(rec *events.DynamoDBEventRecord) task {
	newImg, oldImg := image(rec.Change.NewImage), image(rec.Change.OldImage)
	img := newImg
	if rec.EventName == "REMOVE" {
		img = oldImg
	}
	at := rec.Change.ApproximateCreationDateTime.UTC()
	if at.IsZero() || at.Unix() == 0 {
		at = time.Now().UTC()
	}
	ev := func(typ, appID string, data any) *Event {
		return &Event{ID: rec.EventID, Type: typ, Time: at.Truncate(time.Second), AppID: appID, Data: data}
	}
	appID := img.str("app_id")
	if appID == "" {
		appID = img.str("id")
	}
	switch img.str("type") {
	case itemAppDeleted:
		switch rec.EventName {
		case "INSERT":
			return task{kind: kindCascade, appID: appID, event: ev(TypeAppDeleted, appID, AppDeleted{
				ClientID: img.str("client_id"), OwnerCompanyID: img.str("owner_company_id"),
				Reason: img.str("reason"), DeletedBy: img.str("deleted_by"), DeletedAt: img.str("deleted_at"),
			})}
		case "MODIFY":
			// Only a re-arm continues the cascade; the cascade's own "done"
			// update, and anything else, does not.
			if r := newImg.int("cascade_round"); r > oldImg.int("cascade_round") && newImg.str("cascade_done_at") == "" {
				return task{kind: kindCascade, appID: appID, round: r}
			}
		}
	case itemApp:
		if !strings.HasPrefix(img.str("PK"), "APP#") {
			return task{}
		}
		switch rec.EventName {
		case "INSERT":
			return task{event: ev(TypeAppCreated, appID, AppCreated{
				AppType: img.str("app_type"), Status: img.str("status"), Name: img.str("name"),
				ClientID: img.str("client_id"), OwnerCompanyID: img.str("owner_company_id"),
			})}
		case "MODIFY":
			if from, to := oldImg.str("status"), newImg.str("status"); from != to {
				return task{event: ev(TypeAppStatusChanged, appID, AppStatusChanged{
					From: from, To: to, OwnerCompanyID: img.str("owner_company_id"),
				})}
			}
		}
	case itemInstallation:
		inst := installation{ID: img.str("id"), AppID: appID, ClientID: img.str("client_id"),
			CompanyID: img.str("company_id"), UserID: img.str("user_id")}
		if inst.ID == "" {
			inst.ID = img.str("installation_id")
		}
		switch rec.EventName {
		case "INSERT":
			return task{event: ev(TypeInstallationCreated, appID, InstallationCreated{
				InstallationID: inst.ID, ClientID: inst.ClientID, CompanyID: inst.CompanyID,
				UserID: inst.UserID, Scopes: img.strs("scopes"),
			})}
		case "REMOVE":
			data := InstallationDeleted{InstallationID: inst.ID, ClientID: inst.ClientID,
				CompanyID: inst.CompanyID, UserID: inst.UserID}
			if byTTL(rec) {
				// Not an uninstall: nobody ended it, so the app is not told.
				data.Reason = ReasonExpired
				return task{event: ev(TypeInstallationDeleted, appID, data)}
			}
			return task{kind: kindUninstall, appID: appID, inst: inst, event: ev(TypeInstallationDeleted, appID, data)}
		}
	case itemExtension:
		change := map[string]string{"INSERT": "created", "MODIFY": "updated", "REMOVE": "deleted"}[rec.EventName]
		if change != "" {
			return task{event: ev(TypeExtensionChanged, appID, ExtensionChanged{
				ExtensionID: img.str("id"), ExtensionType: img.str("ext_type"), Change: change,
				Version: img.int("version"),
			})}
		}
	}
	return task{}
}
