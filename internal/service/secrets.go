package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/devhub-oss/devhub/internal/auth"
)

// Defaults of JWTSecrets.
const (
	// DefaultSecretRefresh: how old the secrets may get before a request
	// reads them again.
	DefaultSecretRefresh = 5 * time.Minute
	// DefaultSecretGrace: how long after a rotation (the new version's
	// creation) the previous secret still verifies: the longest lifetime of
	// a token the identity service signed before it.
	DefaultSecretGrace = time.Hour
	// DefaultSecretRenewGap: a signature that matches no secret reads them
	// again, but at most this often, so bad tokens cannot drive the calls.
	DefaultSecretRenewGap = 30 * time.Second
	// secretFetchTimeout bounds one read on a request's path.
	secretFetchTimeout = 2 * time.Second
)

// GetSecretValueFunc is the one Secrets Manager operation devhub calls
// ((*SecretsClient).GetSecretValue). A func rather than an interface, so
// that tests can count or fail the reads.
type GetSecretValueFunc func(context.Context, *GetSecretValueInput) (*GetSecretValueOutput, error)

// JWTSecrets is the developer-token secret read at runtime from Secrets
// Manager (AUTH_JWT_SECRET_ID): never from the environment, so that
// lambda:GetFunctionConfiguration does not reveal it and a rotation needs no
// redeploy. It is read once per container (Prefetch starts the read during
// init without waiting for it, so init stays as short as without it; the
// first request waits for it), then again by the first request after
// Refresh, or when a token's signature matches no secret held (Renew, at
// most every RenewGap). Until a read succeeded, Current is empty and the
// verifier answers 503. While the current version is
// younger than Grace, the previous one (AWSPREVIOUS) verifies too. A failed
// read keeps the secrets held: a Secrets Manager outage does not log
// everyone out. It implements auth.KeySource and is safe for concurrent use.
type JWTSecrets struct {
	Fetch    GetSecretValueFunc
	SecretID string
	Refresh  time.Duration
	Grace    time.Duration
	RenewGap time.Duration
	Now      func() time.Time
	Logger   *slog.Logger

	mu  sync.Mutex // one read at a time
	cur atomic.Pointer[secretSet]
	// ready is closed when Prefetch's read ended (nil: no Prefetch).
	ready chan struct{}
	// Fetches counts GetSecretValue calls (tests, the cold-start figures).
	Fetches atomic.Int64
}

type secretSet struct {
	current   []byte
	version   string
	previous  []byte    // nil: none, or not wanted
	prevUntil time.Time // previous verifies until then
	fetched   time.Time
}

// ErrSecretMissing: the secret or its AWSCURRENT value is absent or empty.
var ErrSecretMissing = errors.New("JWT secret: no SecretString")

// NewJWTSecrets returns the secrets of id read through fetch, with the
// defaults. Call Load before use.
func NewJWTSecrets(fetch GetSecretValueFunc, id string, logger *slog.Logger) *JWTSecrets {
	return &JWTSecrets{Fetch: fetch, SecretID: id, Refresh: DefaultSecretRefresh, Grace: DefaultSecretGrace,
		RenewGap: DefaultSecretRenewGap, Now: time.Now, Logger: logger}
}

// Load reads the secrets now; an error means none are held.
func (s *JWTSecrets) Load(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetch(ctx)
}

// Prefetch starts the first read in the background (bounded by
// firstFetchTimeout) and returns at once; Current waits for it. A failed
// read is logged at error level; the next request tries again.
func (s *JWTSecrets) Prefetch() {
	s.ready = make(chan struct{})
	s.mu.Lock() // held until the read ends: Current's TryLock fails meanwhile
	go func() {
		defer close(s.ready)
		defer s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), firstFetchTimeout)
		defer cancel()
		if err := s.fetch(ctx); err != nil {
			s.logger().Error("JWT secret unreadable: developer tokens cannot be verified", slog.String("error", err.Error()))
		}
	}()
}

// firstFetchTimeout bounds the first read, which every request of a new
// container waits for.
const firstFetchTimeout = 5 * time.Second

// fetch reads AWSCURRENT, and AWSPREVIOUS while the current version is in
// its grace period (reusing the previous value already held when the
// current version did not change). s.mu is held.
func (s *JWTSecrets) fetch(ctx context.Context) error {
	now := s.now()
	s.Fetches.Add(1)
	out, err := s.Fetch(ctx, &GetSecretValueInput{SecretID: s.SecretID})
	if err != nil {
		return fmt.Errorf("JWT secret %s: %w", s.SecretID, err)
	}
	if out.SecretString == nil || *out.SecretString == "" {
		return fmt.Errorf("%w: %s", ErrSecretMissing, s.SecretID)
	}
	if len(*out.SecretString) < auth.MinSecretLen {
		return fmt.Errorf("JWT secret %s: shorter than %d bytes", s.SecretID, auth.MinSecretLen)
	}
	next := &secretSet{current: []byte(*out.SecretString), version: out.VersionID, fetched: now}
	if created := out.CreatedDate; !created.IsZero() && now.Before(created.Add(s.Grace)) {
		next.prevUntil = created.Add(s.Grace)
		if old := s.cur.Load(); old != nil && old.version == next.version && old.previous != nil {
			next.previous = old.previous
		} else if old != nil && old.version != next.version {
			next.previous = old.current // we saw the rotation happen
		} else {
			s.Fetches.Add(1)
			prev, err := s.Fetch(ctx, &GetSecretValueInput{SecretID: s.SecretID, VersionStage: "AWSPREVIOUS"})
			switch {
			case err == nil && prev.SecretString != nil && *prev.SecretString != "":
				next.previous = []byte(*prev.SecretString)
			case err != nil && !IsSecretNotFound(err):
				// Only the previous one is missing: serve the current.
				s.logger().Warn("JWT secret: previous version unreadable", slog.String("secret_id", s.SecretID), slog.String("error", err.Error()))
			}
		}
	}
	if old := s.cur.Load(); old != nil && old.version != next.version {
		s.logger().Info("JWT secret rotated", slog.String("secret_id", s.SecretID), slog.String("version", next.version))
	}
	s.cur.Store(next)
	return nil
}

func (s *JWTSecrets) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *JWTSecrets) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// Current implements auth.KeySource. When the secrets are older than
// Refresh, the caller that gets there first reads them again (bounded by a
// short timeout); the others go on with the ones held.
func (s *JWTSecrets) Current() [][]byte {
	set := s.cur.Load()
	if set == nil {
		if s.ready != nil {
			<-s.ready // the first read, started at init
		}
		s.mu.Lock()
		if s.cur.Load() == nil { // it failed: try once more, now
			ctx, cancel := context.WithTimeout(context.Background(), secretFetchTimeout)
			if err := s.fetch(ctx); err != nil {
				s.logger().Error("JWT secret unreadable: developer tokens cannot be verified", slog.String("error", err.Error()))
			}
			cancel()
		}
		s.mu.Unlock()
		if set = s.cur.Load(); set == nil {
			return nil
		}
	}
	if s.now().Sub(set.fetched) >= s.Refresh && s.mu.TryLock() {
		if set = s.cur.Load(); s.now().Sub(set.fetched) >= s.Refresh {
			s.refreshLocked()
		}
		s.mu.Unlock()
		set = s.cur.Load()
	}
	return set.keys(s.now())
}

// Renew implements auth.KeySource: a read now, unless one happened in the
// last RenewGap.
func (s *JWTSecrets) Renew() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := s.cur.Load()
	if set == nil || s.now().Sub(set.fetched) < s.RenewGap {
		return nil // none held: Current already tried
	}
	if !s.refreshLocked() {
		return nil
	}
	return s.cur.Load().keys(s.now())
}

// refreshLocked reads the secrets, keeping the ones held on failure (and
// then not trying again before RenewGap or Refresh: fetched is moved on).
func (s *JWTSecrets) refreshLocked() bool {
	ctx, cancel := context.WithTimeout(context.Background(), secretFetchTimeout)
	defer cancel()
	if err := s.fetch(ctx); err != nil {
		s.logger().Warn("JWT secret refresh failed; keeping the one held", slog.String("error", err.Error()))
		old := *s.cur.Load()
		old.fetched = s.now().Add(s.RenewGap - s.Refresh) // try again in RenewGap
		s.cur.Store(&old)
		return false
	}
	return true
}

func (set *secretSet) keys(now time.Time) [][]byte {
	if set.previous != nil && now.Before(set.prevUntil) {
		return [][]byte{set.current, set.previous}
	}
	return [][]byte{set.current}
}
