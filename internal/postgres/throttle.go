package postgres

import (
	"context"
	"time"
)

// Login throttling: failures are counted per key (a username, an address)
// in a window; from SlowAfter failures each attempt is slowed, from
// LockAfter the key is refused until LockFor has passed. Kept in Postgres so
// that every instance sees the same counts.
const (
	ThrottleWindow    = 15 * time.Minute
	ThrottleSlowAfter = 3
	ThrottleLockAfter = 10
	ThrottleLockFor   = 15 * time.Minute
)

// LoginThrottle reports, for the given keys, the largest failure count in the
// current window and whether any key is locked.
func (db *DB) LoginThrottle(ctx context.Context, keys ...string) (failures int, locked bool, err error) {
	err = db.Pool.QueryRow(ctx, `/* postgres.LoginThrottle */
		SELECT coalesce(max(failures) FILTER (WHERE window_start > now() - $2::interval), 0),
		       coalesce(bool_or(locked_until > now()), false)
		FROM login_throttle WHERE key = ANY($1)`, keys, ThrottleWindow).Scan(&failures, &locked)
	return failures, locked, err
}

// RecordLoginFailure counts one failure for every key, locking those that
// reach the limit.
func (db *DB) RecordLoginFailure(ctx context.Context, keys ...string) error {
	_, err := db.Pool.Exec(ctx, `/* postgres.RecordLoginFailure */
		INSERT INTO login_throttle AS t (key, failures, window_start)
		SELECT k, 1, now() FROM unnest($1::text[]) AS k
		ON CONFLICT (key) DO UPDATE SET
		    failures = CASE WHEN t.window_start > now() - $2::interval THEN t.failures + 1 ELSE 1 END,
		    window_start = CASE WHEN t.window_start > now() - $2::interval THEN t.window_start ELSE now() END,
		    locked_until = CASE WHEN t.window_start > now() - $2::interval AND t.failures + 1 >= $3
		                        THEN now() + $4::interval ELSE t.locked_until END`,
		keys, ThrottleWindow, ThrottleLockAfter, ThrottleLockFor)
	return err
}

// ClearLoginFailures forgets the failures of the keys (after a good login).
func (db *DB) ClearLoginFailures(ctx context.Context, keys ...string) error {
	_, err := db.Pool.Exec(ctx, `/* postgres.ClearLoginFailures */ DELETE FROM login_throttle WHERE key = ANY($1)`, keys)
	return err
}
