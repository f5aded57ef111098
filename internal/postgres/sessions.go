package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// SessionStore keeps scs sessions in Postgres so that any number of
// instances serve one database. It differs from scs's stock pgxstore in one
// point: Delete leaves a revoked tombstone instead of removing the row, and
// Commit never writes over a revoked row, so a request still in flight when
// its session was ended (logout, token renewal, deactivation) cannot bring
// the session back with its final save.
type SessionStore struct {
	db *DB
}

// NewSessionStore returns the store.
func NewSessionStore(db *DB) *SessionStore { return &SessionStore{db: db} }

// Find implements scs.Store.
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit implements scs.Store.
func (s *SessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Delete implements scs.Store.
func (s *SessionStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// FindCtx returns a live session's data; revoked and expired sessions are not found.
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var b []byte
	err := s.db.anchored().QueryRow(ctx, `/* postgres.SessionStore.Find */
		SELECT data FROM sessions WHERE token = $1 AND NOT revoked AND expiry > now()`, token).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// sessionWriteTimeout bounds a session's save or revocation, which does
// not end with its request (detached).
const sessionWriteTimeout = 10 * time.Second

// detached is ctx without its cancellation, within sessionWriteTimeout. A
// session is saved (or revoked) as the request's answer starts, when the
// request's work is done — an import committed, a record saved, a sign-out:
// a client that stopped waiting must not leave the session saying
// otherwise (a flash lost, a revoked session alive), nor the save fail.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), sessionWriteTimeout)
}

// CommitCtx saves a session unless it has been revoked meanwhile; it runs
// to its end when the request's client has gone (detached).
func (s *SessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	ctx, cancel := detached(ctx)
	defer cancel()
	_, err := s.db.anchored().Exec(ctx, `/* postgres.SessionStore.Commit */
		INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3)
		ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry
		WHERE NOT sessions.revoked`, token, b, expiry)
	return err
}

// DeleteCtx revokes a session: the row stays as a tombstone until it
// expires. It runs to its end when the request's client has gone
// (detached).
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	ctx, cancel := detached(ctx)
	defer cancel()
	_, err := s.db.anchored().Exec(ctx, `/* postgres.SessionStore.Delete */
		INSERT INTO sessions (token, data, expiry, revoked) VALUES ($1, '', now() + interval '1 day', true)
		ON CONFLICT (token) DO UPDATE SET revoked = true, data = ''`, token)
	return err
}

// DeleteExpiredSessions removes sessions and tombstones past their expiry.
func (db *DB) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	tag, err := db.Pool.Exec(ctx, `/* postgres.DeleteExpiredSessions */ DELETE FROM sessions WHERE expiry < now()`)
	return tag.RowsAffected(), err
}
