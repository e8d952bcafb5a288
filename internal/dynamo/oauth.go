// Installations, authorization codes and tokens: the OAuth 2.0 server's state.
//
// Items (codes and tokens only ever as the hex SHA-256 of what was issued):
//
//	type           PK                   SK                       GSI1PK                  GSI1SK
//	installation   APP#<app_id>         INST#<company>#<user>    USER#<company>#<user>   INST#<installation_id>
//	auth_code      CODE#<sha256>        C                        -                       -     (expires_at: 5 min)
//	code_used      CODE_USED#<sha256>   C                        -                       -     (expires_at: 24 h)
//	access_token   TOKEN#<sha256>       T                        -                       -     (expires_at: 1 h)
//	refresh_token  TOKEN#<sha256>       T                        -                       -     (expires_at: 60 days, sliding)
//
// <company> and <user> are escaped (% → %25, # → %23) so that no id can
// reach into another's key range. An installation carries app_id, client_id,
// company_id and user_id, so that its deletion's stream record (OLD_IMAGE)
// is all the uninstall notification needs. It lives in its app's partition:
// the app-deletion cascade and the "has this company installed the app"
// check read it there.
//
// Token families. An installation's "grant" attribute names the family of
// tokens that its latest code exchange started; each token carries the
// grant it was issued under. A token is alive while its item exists,
// has not expired (checked in code: TTL deletes late), has not been
// rotated away, AND its installation exists with the same grant. So:
//   - uninstalling (deleting the installation) kills every token at once;
//   - a new code exchange moves the grant on, killing the previous family;
//   - a replayed code, or a reused rotated refresh token, removes the grant
//     (if it is still that family's), which kills the family and leaves the
//     installation (the user's consent) in place.
// Introspection reads the token and its installation together in one
// BatchGetItem: the token string itself names the installation's key (see
// internal/oauth), so nothing has to be looked up first, and a revocation
// or an uninstall is seen by the very next introspection.
//
// Access patterns:
//
//	consent page       GetItem CLIENT#client_id (GetAppByClientID)                        1 round trip
//	decision (allow)   GetItem CLIENT#client_id, then TransactWriteItems: ConditionCheck
//	                   CLIENT#client_id (exists, callback_url unchanged), Update
//	                   installation (upsert: id, created_at and GSI1SK if_not_exists),
//	                   Put CODE#h (attribute_not_exists)                                  2 round trips
//	code exchange      BatchGetItem CODE#h, CODE_USED#h, CLIENT#client_id; then
//	                   TransactWriteItems: Delete CODE#h (attribute_exists: single use),
//	                   Update installation SET grant (attribute_exists), Put TOKEN#access,
//	                   Put TOKEN#refresh, Put CODE_USED#h                                 2 round trips
//	code replay        (found by the batch read, or by the Delete's failed condition)
//	                   Update installation REMOVE grant IF grant = the used code's           +1
//	refresh            BatchGetItem TOKEN#h, CLIENT#client_id; then TransactWriteItems:
//	                   ConditionCheck installation grant = :g, Update TOKEN#h (extend, or
//	                   mark rotated; not rotated yet), Put TOKEN#access, [Put TOKEN#next]  2 round trips
//	introspect         BatchGetItem TOKEN#h, installation, CLIENT#client_id               1 round trip
//	revoke access      BatchGetItem TOKEN#h, CLIENT#client_id; DeleteItem TOKEN#h          2 round trips
//	revoke refresh     BatchGetItem TOKEN#h, CLIENT#client_id; TransactWriteItems: Delete
//	                   installation (grant = :g), Delete TOKEN#h                           2 round trips
//	my installations   Query GSI1 GSI1PK=USER#c#u AND begins_with(GSI1SK, "INST#"), newest
//	                   first, paged                                                        1 round trip
//	uninstall          Query GSI1 GSI1PK=USER#c#u AND GSI1SK=INST#id; DeleteItem
//	                   installation (id = :id)                                             2 round trips
//	company installed  Query PK=APP#app AND begins_with(SK, "INST#<company>#"), Limit 1     1 round trip
//	launch target      BatchGetItem APP#app/A, APP#app/EXT#ext [+ company installed]      1–2 round trips

package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/devhub-oss/devhub/internal/devhub"
)

const (
	typeInstallation = "installation"
	typeAuthCode     = "auth_code"
	typeCodeUsed     = "code_used"

	skInstPrefix = "INST#"
	skCode       = "C"
	skToken      = "T"

	// UsedCodeRetention is how long a consumed code is remembered, so that
	// its replay revokes what its exchange issued.
	UsedCodeRetention = 24 * time.Hour
)

var keyEscaper = strings.NewReplacer("%", "%25", "#", "%23")

func esc(s string) string { return keyEscaper.Replace(s) }

func instSK(company, user string) string { return skInstPrefix + esc(company) + "#" + esc(user) }
func userPK(company, user string) string { return "USER#" + esc(company) + "#" + esc(user) }
func codePK(hash string) string          { return "CODE#" + hash }
func codeUsedPK(hash string) string      { return "CODE_USED#" + hash }
func tokenPK(hash string) string         { return "TOKEN#" + hash }

func instKey(appID, company, user string) map[string]types.AttributeValue {
	return key(appPK(appID), instSK(company, user))
}

func str(s string) *types.AttributeValueMemberS { return &types.AttributeValueMemberS{Value: s} }

func strList(l []string) *types.AttributeValueMemberL {
	out := make([]types.AttributeValue, len(l))
	for i, s := range l {
		out[i] = str(s)
	}
	return &types.AttributeValueMemberL{Value: out}
}

// Errors the token paths tell apart.
var (
	// ErrCodeUsed: the code was consumed by another exchange (ECONFLICT).
	ErrCodeUsed = errors.New("dynamo: authorization code already used")
	// ErrTokenDead: the token, its family or its installation is gone (ENOTFOUND).
	ErrTokenDead = errors.New("dynamo: token revoked or installation ended")
	// ErrTokenReused: a rotated refresh token was used again (ECONFLICT).
	ErrTokenReused = errors.New("dynamo: rotated refresh token reused")
)

func codedErr(code string, sentinel error, msg string) error {
	return errors.Join(devhub.Errorf(code, "%s", msg), sentinel)
}

// Consent records an approved consent page: it creates or renews the
// installation of app for (company, user) and stores code, in one
// transaction that also checks that the app still exists with the callback
// it was read with. A renewal keeps the installation's id and its tokens.
// Errors: ENOTFOUND (the app is gone or its callback changed).
func (s *Store) Consent(ctx context.Context, app *devhub.App, company, user string, code *devhub.AuthCode) error {
	now := s.Now().UTC()
	id := devhub.NewInstallationID(now)
	upsert := &types.Update{
		TableName: &s.table, Key: instKey(app.ID, company, user),
		UpdateExpression: aws.String("SET #type = :type, #version = if_not_exists(#version, :zero) + :one, " +
			"#id = if_not_exists(#id, :id), app_id = :app, client_id = :client, company_id = :company, " +
			"user_id = :user, scopes = :scopes, created_at = if_not_exists(created_at, :now), " +
			"updated_at = :now, GSI1PK = :gpk, GSI1SK = if_not_exists(GSI1SK, :gsk)"),
		ExpressionAttributeNames: map[string]string{"#type": "type", "#version": "version", "#id": "id"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":type": str(typeInstallation), ":zero": num(0), ":one": num(1), ":id": str(id),
			":app": str(app.ID), ":client": str(app.ClientID), ":company": str(company), ":user": str(user),
			":scopes": strList(app.Scopes), ":now": str(now.Format(time.RFC3339Nano)),
			":gpk": str(userPK(company, user)), ":gsk": str(skInstPrefix + id),
		},
	}
	codeItem := map[string]types.AttributeValue{
		attrPK: str(codePK(code.Hash)), attrSK: str(skCode), "type": str(typeAuthCode), "version": num(1),
		"client_id": str(code.ClientID), "app_id": str(code.AppID), "company_id": str(code.CompanyID),
		"user_id": str(code.UserID), "redirect_uri": str(code.RedirectURI), "challenge": str(code.Challenge),
		"scopes": strList(code.Scopes), "issued_at": num(code.IssuedAt.Unix()), TTLAttribute: num(code.ExpiresAt.Unix()),
	}
	err := s.transact(ctx, []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{
			TableName: &s.table, Key: key(clientPK(app.ClientID), skApp),
			ConditionExpression:       aws.String("attribute_exists(PK) AND callback_url = :cb"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":cb": str(app.CallbackURL)},
		}},
		{Update: upsert},
		{Put: &types.Put{TableName: &s.table, Item: codeItem, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	})
	if reasons := cancellationReasons(err); reasons != nil {
		if failed(reasons, 0) {
			return devhub.Errorf(devhub.ENOTFOUND, "App %q was not found.", app.ClientID)
		}
		return fmt.Errorf("consent for %s: %w", app.ID, errTokensBusy(err))
	}
	if err != nil {
		return wrap("consent for "+app.ID, err)
	}
	return nil
}

// CodeLookup is what a code exchange reads in one round trip. A nil member
// is absent from the table.
type CodeLookup struct {
	App  *devhub.App      // the client's app
	Code *devhub.AuthCode // the unused code
	Used *devhub.UsedCode // the record of the code's consumption
}

// LookupCode reads the code with hash, its consumption record and the app
// of clientID in one BatchGetItem.
func (s *Store) LookupCode(ctx context.Context, hash, clientID string) (CodeLookup, error) {
	items, err := s.batchGet(ctx, "lookup code", key(codePK(hash), skCode), key(codeUsedPK(hash), skCode), key(clientPK(clientID), skApp))
	if err != nil {
		return CodeLookup{}, err
	}
	var out CodeLookup
	for _, it := range items {
		m := attrs(it)
		switch m.str("type") {
		case typeClient:
			if out.App, err = decodeApp(it); err != nil {
				return CodeLookup{}, err
			}
		case typeAuthCode:
			out.Code = &devhub.AuthCode{
				Hash: hash, ClientID: m.str("client_id"), AppID: m.str("app_id"), CompanyID: m.str("company_id"),
				UserID: m.str("user_id"), RedirectURI: m.str("redirect_uri"), Challenge: m.str("challenge"),
				Scopes: m.strs("scopes"), IssuedAt: m.unix("issued_at"), ExpiresAt: m.unix(TTLAttribute),
			}
		case typeCodeUsed:
			out.Used = &devhub.UsedCode{
				Hash: hash, ClientID: m.str("client_id"), AppID: m.str("app_id"), CompanyID: m.str("company_id"),
				UserID: m.str("user_id"), Grant: m.str("grant"),
			}
		}
	}
	return out, nil
}

func (m attrs) unix(k string) time.Time { return time.Unix(int64(m.int(k)), 0).UTC() }

func tokenItem(t *devhub.Token) map[string]types.AttributeValue {
	it := map[string]types.AttributeValue{
		attrPK: str(tokenPK(t.Hash)), attrSK: str(skToken), "type": str(string(t.Kind)), "version": num(1),
		"client_id": str(t.ClientID), "app_id": str(t.AppID), "company_id": str(t.CompanyID), "user_id": str(t.UserID),
		"grant": str(t.Grant), "scopes": strList(t.Scopes), "issued_at": num(t.IssuedAt.Unix()),
		TTLAttribute: num(t.ExpiresAt.Unix()),
	}
	if !t.RotatedAt.IsZero() {
		it["rotated_at"] = num(t.RotatedAt.Unix())
	}
	return it
}

func decodeToken(hash string, item map[string]types.AttributeValue) *devhub.Token {
	m := attrs(item)
	t := &devhub.Token{
		Hash: hash, Kind: devhub.TokenKind(m.str("type")), ClientID: m.str("client_id"), AppID: m.str("app_id"),
		CompanyID: m.str("company_id"), UserID: m.str("user_id"), Grant: m.str("grant"), Scopes: m.strs("scopes"),
		IssuedAt: m.unix("issued_at"), ExpiresAt: m.unix(TTLAttribute),
	}
	if _, ok := item["rotated_at"]; ok {
		t.RotatedAt = m.unix("rotated_at")
	}
	return t
}

// ExchangeCode consumes code and issues access and refresh (both of family
// grant) in one transaction: the code is deleted only if it is still there,
// so of concurrent exchanges exactly one succeeds; the installation must
// still exist, and its grant becomes grant; a code_used record remembers the
// exchange. Errors: ECONFLICT matching ErrCodeUsed (consumed meanwhile),
// ENOTFOUND matching ErrTokenDead (the installation ended since the consent).
func (s *Store) ExchangeCode(ctx context.Context, code *devhub.AuthCode, grant string, access, refresh *devhub.Token) error {
	now := s.Now().UTC()
	used := map[string]types.AttributeValue{
		attrPK: str(codeUsedPK(code.Hash)), attrSK: str(skCode), "type": str(typeCodeUsed), "version": num(1),
		"client_id": str(code.ClientID), "app_id": str(code.AppID), "company_id": str(code.CompanyID),
		"user_id": str(code.UserID), "grant": str(grant), TTLAttribute: num(now.Add(UsedCodeRetention).Unix()),
	}
	err := s.transact(ctx, []types.TransactWriteItem{
		{Delete: &types.Delete{
			TableName: &s.table, Key: key(codePK(code.Hash), skCode),
			ConditionExpression: aws.String("attribute_exists(PK)"),
		}},
		{Update: &types.Update{
			TableName: &s.table, Key: instKey(code.AppID, code.CompanyID, code.UserID),
			UpdateExpression:          aws.String("SET #grant = :g, #version = #version + :one, updated_at = :now"),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeNames:  map[string]string{"#grant": "grant", "#version": "version"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":g": str(grant), ":one": num(1), ":now": str(now.Format(time.RFC3339Nano))},
		}},
		{Put: &types.Put{TableName: &s.table, Item: tokenItem(access), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: &s.table, Item: tokenItem(refresh), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: &s.table, Item: used}},
	})
	if reasons := cancellationReasons(err); reasons != nil {
		switch {
		case failed(reasons, 0):
			return codedErr(devhub.ECONFLICT, ErrCodeUsed, "The authorization code was already used.")
		case failed(reasons, 1):
			return codedErr(devhub.ENOTFOUND, ErrTokenDead, "The installation has ended.")
		}
		return fmt.Errorf("exchange code: %w", errTokensBusy(err))
	}
	if err != nil {
		return wrap("exchange code", err)
	}
	return nil
}

// errTokensBusy explains a transaction still cancelled by concurrent ones
// after every retry: a fault to retry shortly, not a lost race.
func errTokensBusy(err error) error {
	return &wrapped{code: devhub.EUNAVAILABLE, err: err}
}

// RevokeGrant kills the token family grant of the installation of app for
// (company, user), if it is still the installation's current one; the
// installation itself stays. Nothing to revoke is not an error.
func (s *Store) RevokeGrant(ctx context.Context, appID, company, user, grant string) error {
	if grant == "" {
		return nil
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: instKey(appID, company, user),
		UpdateExpression:          aws.String("REMOVE #grant SET #version = #version + :one"),
		ConditionExpression:       aws.String("#grant = :g"),
		ExpressionAttributeNames:  map[string]string{"#grant": "grant", "#version": "version"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":g": str(grant), ":one": num(1)},
	}, retrySafe) // a retry whose first try landed fails the condition, which is success here too
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil
	}
	if err != nil {
		return wrap("revoke grant", err)
	}
	return nil
}

// TokenLookup is what the token paths read in one round trip. A nil member
// is absent from the table.
type TokenLookup struct {
	App          *devhub.App
	Token        *devhub.Token
	Installation *devhub.Installation // read by IntrospectToken only
}

// LookupToken reads the token with hash and the app of clientID in one
// BatchGetItem.
func (s *Store) LookupToken(ctx context.Context, hash, clientID string) (TokenLookup, error) {
	return s.lookupToken(ctx, hash, clientID, nil)
}

// IntrospectToken reads the token with hash, the installation of app for
// (company, user) that the token names, and the app of clientID, in one
// BatchGetItem.
func (s *Store) IntrospectToken(ctx context.Context, hash, clientID, appID, company, user string) (TokenLookup, error) {
	return s.lookupToken(ctx, hash, clientID, instKey(appID, company, user))
}

func (s *Store) lookupToken(ctx context.Context, hash, clientID string, inst map[string]types.AttributeValue) (TokenLookup, error) {
	keys := []map[string]types.AttributeValue{key(tokenPK(hash), skToken), key(clientPK(clientID), skApp)}
	if inst != nil {
		keys = append(keys, inst)
	}
	items, err := s.batchGet(ctx, "lookup token", keys...)
	if err != nil {
		return TokenLookup{}, err
	}
	var out TokenLookup
	for _, it := range items {
		switch attrs(it).str("type") {
		case typeClient:
			if out.App, err = decodeApp(it); err != nil {
				return TokenLookup{}, err
			}
		case string(devhub.AccessToken), string(devhub.RefreshToken):
			out.Token = decodeToken(hash, it)
		case typeInstallation:
			out.Installation = decodeInstallation(it)
		}
	}
	return out, nil
}

func decodeInstallation(item map[string]types.AttributeValue) *devhub.Installation {
	m := attrs(item)
	return &devhub.Installation{
		ID: m.str("id"), AppID: m.str("app_id"), ClientID: m.str("client_id"), CompanyID: m.str("company_id"),
		UserID: m.str("user_id"), Scopes: m.strs("scopes"), Grant: m.str("grant"),
		CreatedAt: m.time("created_at"), UpdatedAt: m.time("updated_at"), Version: m.int("version"),
	}
}

// RefreshToken uses the refresh token old (as read): in one transaction it
// checks that old's installation still has old's family, issues access, and
// either extends old to refreshUntil (next nil) or rotates it: marks old as
// rotated and issues next. Errors: ENOTFOUND matching ErrTokenDead (the
// token was revoked, its family or installation ended), ECONFLICT matching
// ErrTokenReused (old was rotated meanwhile: reuse).
func (s *Store) RefreshToken(ctx context.Context, old, access, next *devhub.Token, refreshUntil time.Time) error {
	now := s.Now().UTC()
	items := []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{
			TableName: &s.table, Key: instKey(old.AppID, old.CompanyID, old.UserID),
			ConditionExpression:       aws.String("#grant = :g"),
			ExpressionAttributeNames:  map[string]string{"#grant": "grant"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":g": str(old.Grant)},
		}},
	}
	use := &types.Update{
		TableName: &s.table, Key: key(tokenPK(old.Hash), skToken),
		ConditionExpression:                 aws.String("attribute_exists(PK) AND attribute_not_exists(rotated_at) AND #grant = :g"),
		ExpressionAttributeNames:            map[string]string{"#grant": "grant"},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if next == nil {
		use.UpdateExpression = aws.String("SET " + TTLAttribute + " = :until")
		use.ExpressionAttributeValues = map[string]types.AttributeValue{":g": str(old.Grant), ":until": num(refreshUntil.Unix())}
	} else {
		use.UpdateExpression = aws.String("SET rotated_at = :now")
		use.ExpressionAttributeValues = map[string]types.AttributeValue{":g": str(old.Grant), ":now": num(now.Unix())}
	}
	items = append(items, types.TransactWriteItem{Update: use},
		types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: tokenItem(access), ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	if next != nil {
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: tokenItem(next), ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	}
	err := s.transact(ctx, items)
	if reasons := cancellationReasons(err); reasons != nil {
		switch {
		case failed(reasons, 1) && reasons[1].Item != nil && reasons[1].Item["rotated_at"] != nil:
			return codedErr(devhub.ECONFLICT, ErrTokenReused, "The refresh token was already used.")
		case failed(reasons, 0), failed(reasons, 1):
			return codedErr(devhub.ENOTFOUND, ErrTokenDead, "The refresh token is no longer valid.")
		}
		return fmt.Errorf("refresh token: %w", errTokensBusy(err))
	}
	if err != nil {
		return wrap("refresh token", err)
	}
	return nil
}

// DeleteAccessToken ends one access token of clientID. A token that is not
// there (or not the client's access token) is not an error: revocation
// answers the same either way.
func (s *Store) DeleteAccessToken(ctx context.Context, hash, clientID string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.table, Key: key(tokenPK(hash), skToken),
		ConditionExpression:       aws.String("client_id = :c AND #type = :t"),
		ExpressionAttributeNames:  map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": str(clientID), ":t": str(string(devhub.AccessToken))},
	}, retrySafe) // a retry whose first try landed fails the condition, which is success here too
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return wrap("delete access token", err)
	}
	return nil
}

// EndInstallation deletes the installation that the refresh token rt (as
// read) belongs to, and rt, in one transaction, provided rt's family is
// still the installation's: a dead token ends nothing. The deletion's
// stream record starts the uninstall notification.
func (s *Store) EndInstallation(ctx context.Context, rt *devhub.Token) error {
	err := s.transact(ctx, []types.TransactWriteItem{
		{Delete: &types.Delete{
			TableName: &s.table, Key: instKey(rt.AppID, rt.CompanyID, rt.UserID),
			ConditionExpression:       aws.String("#grant = :g"),
			ExpressionAttributeNames:  map[string]string{"#grant": "grant"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":g": str(rt.Grant)},
		}},
		{Delete: &types.Delete{TableName: &s.table, Key: key(tokenPK(rt.Hash), skToken)}},
	})
	if reasons := cancellationReasons(err); reasons != nil && failed(reasons, 0) {
		return nil
	}
	if err != nil {
		return wrap("end installation", err)
	}
	return nil
}

// ListInstallations returns a page of (company, user)'s installations,
// newest first. Errors: EMALFORMED (bad cursor).
func (s *Store) ListInstallations(ctx context.Context, company, user, cursor string, limit int) (Page[*devhub.Installation], error) {
	pk := userPK(company, user)
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(indexGSI1),
		KeyConditionExpression:    aws.String("GSI1PK = :pk AND begins_with(GSI1SK, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk), ":prefix": str(skInstPrefix)},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(limit)),
	}
	if cursor != "" {
		start, err := decodeCursor(cursor, gsi1, pk, skInstPrefix)
		if err != nil {
			return Page[*devhub.Installation]{}, err
		}
		in.ExclusiveStartKey = start
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return Page[*devhub.Installation]{}, wrap("list installations", err)
	}
	page := Page[*devhub.Installation]{Items: make([]*devhub.Installation, 0, len(out.Items))}
	for _, it := range out.Items {
		page.Items = append(page.Items, decodeInstallation(it))
	}
	if out.LastEvaluatedKey != nil {
		page.NextCursor = encodeCursor(out.LastEvaluatedKey, gsi1)
	}
	return page, nil
}

func errInstallationNotFound(id string) error {
	return devhub.Errorf(devhub.ENOTFOUND, "Installation %q was not found.", id)
}

// DeleteInstallation uninstalls (company, user)'s installation id: every
// token of it dies with it, and the deletion's stream record (OLD_IMAGE)
// starts the uninstall notification. Errors: ENOTFOUND (no such
// installation of theirs).
func (s *Store) DeleteInstallation(ctx context.Context, company, user, id string) error {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(indexGSI1),
		KeyConditionExpression:    aws.String("GSI1PK = :pk AND GSI1SK = :sk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(userPK(company, user)), ":sk": str(skInstPrefix + id)},
	})
	if err != nil {
		return wrap("find installation "+id, err)
	}
	if len(out.Items) == 0 {
		return errInstallationNotFound(id)
	}
	inst := decodeInstallation(out.Items[0])
	// Not retried on a lost answer: a retry whose first try landed would
	// fail its condition and answer 404 for an uninstall that happened.
	_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.table, Key: instKey(inst.AppID, company, user),
		ConditionExpression:       aws.String("#id = :id"),
		ExpressionAttributeNames:  map[string]string{"#id": "id"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": str(id)},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return errInstallationNotFound(id) // uninstalled meanwhile (the index lags)
	}
	if err != nil {
		return wrap("delete installation "+id, err)
	}
	return nil
}

// CompanyInstalled reports whether any user of company has installed app.
func (s *Store) CompanyInstalled(ctx context.Context, appID, company string) (bool, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :prefix)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(appPK(appID)), ":prefix": str(skInstPrefix + esc(company) + "#"),
		},
		ProjectionExpression: aws.String("PK"),
		ConsistentRead:       aws.Bool(true),
		Limit:                aws.Int32(1),
	})
	if err != nil {
		return false, wrap("find installation of "+appID, err)
	}
	return len(out.Items) > 0, nil
}

// LaunchTarget returns app appID and its extension extID for a user of
// company, who may launch it when company has installed the app, or, for a
// draft, owns it. Errors: ENOTFOUND (no such app or extension, or not
// installed by company: the caller cannot tell which).
func (s *Store) LaunchTarget(ctx context.Context, appID, extID, company string) (*devhub.App, *devhub.Extension, error) {
	items, err := s.batchGet(ctx, "launch "+extID, key(appPK(appID), skApp), key(appPK(appID), extSK(extID)))
	if err != nil {
		return nil, nil, err
	}
	var a *devhub.App
	var e *devhub.Extension
	for _, it := range items {
		switch attrs(it).str("type") {
		case typeApp:
			if a, err = decodeApp(it); err != nil {
				return nil, nil, err
			}
		case typeExtension:
			if e, err = decodeExtension(it); err != nil {
				return nil, nil, err
			}
		}
	}
	if a == nil {
		return nil, nil, errAppNotFound(appID)
	}
	switch {
	case a.Status == devhub.StatusDraft && a.OwnedBy(company):
	case a.Status == devhub.StatusDraft:
		return nil, nil, errAppNotFound(appID)
	default:
		ok, err := s.CompanyInstalled(ctx, appID, company)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, errAppNotFound(appID)
		}
	}
	if e == nil {
		return nil, nil, errExtensionNotFound(extID)
	}
	return a, e, nil
}
