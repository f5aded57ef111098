package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"crm/internal/postgres"
	"crm/internal/testdb"
)

func mustFind(t *testing.T, s *postgres.SessionStore, token string) ([]byte, bool) {
	t.Helper()
	b, found, err := s.Find(token)
	if err != nil {
		t.Fatalf("Find %s: %v", token, err)
	}
	return b, found
}

func TestSessionStoreTombstones(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	s := postgres.NewSessionStore(db)
	soon := time.Now().Add(time.Hour)

	// Round trip and update.
	if err := s.Commit("live", []byte("one"), soon); err != nil {
		t.Fatal(err)
	}
	if b, ok := mustFind(t, s, "live"); !ok || !bytes.Equal(b, []byte("one")) {
		t.Fatalf("Find live = %q, %v", b, ok)
	}
	if err := s.Commit("live", []byte("two"), soon); err != nil {
		t.Fatal(err)
	}
	if b, _ := mustFind(t, s, "live"); !bytes.Equal(b, []byte("two")) {
		t.Fatalf("update lost: %q", b)
	}
	if _, ok := mustFind(t, s, "never"); ok {
		t.Fatal("found a token never committed")
	}

	// Commit after Delete (a request in flight when its session ended) does
	// not bring the session back.
	if err := s.Delete("live"); err != nil {
		t.Fatal(err)
	}
	if _, ok := mustFind(t, s, "live"); ok {
		t.Fatal("found after Delete")
	}
	if err := s.Commit("live", []byte("resurrected"), soon); err != nil {
		t.Fatalf("Commit after Delete: %v", err)
	}
	if _, ok := mustFind(t, s, "live"); ok {
		t.Fatal("Commit after Delete revived the session")
	}
	var revoked bool
	var data []byte
	if err := db.Pool.QueryRow(context.Background(), `SELECT revoked, data FROM sessions WHERE token = 'live'`).Scan(&revoked, &data); err != nil || !revoked || len(data) != 0 {
		t.Fatalf("Commit wrote over the tombstone: revoked %v, data %q (%v)", revoked, data, err)
	}
	// Nor does a Delete of a token that was never stored admit a later Commit.
	if err := s.Delete("early"); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit("early", []byte("x"), soon); err != nil {
		t.Fatal(err)
	}
	if _, ok := mustFind(t, s, "early"); ok {
		t.Fatal("Commit after Delete of an unknown token stored it")
	}
	// Deleting twice is fine.
	if err := s.Delete("live"); err != nil {
		t.Fatal(err)
	}
	if err := db.Pool.QueryRow(context.Background(), `SELECT data FROM sessions WHERE token = 'live'`).Scan(&data); err != nil || len(data) != 0 {
		t.Fatalf("tombstone keeps data %q (%v)", data, err)
	}

	// Expired sessions are not found, and are swept with old tombstones.
	if err := s.Commit("expired", []byte("old"), time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, ok := mustFind(t, s, "expired"); ok {
		t.Fatal("found an expired session")
	}
	if _, err := db.Pool.Exec(context.Background(), `UPDATE sessions SET expiry = now() - interval '1 second' WHERE token = 'early'`); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit("kept", []byte("k"), soon); err != nil {
		t.Fatal(err)
	}
	n, err := db.DeleteExpiredSessions(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("DeleteExpiredSessions = %d, %v; want 2", n, err)
	}
	if _, ok := mustFind(t, s, "kept"); !ok {
		t.Fatal("sweeping removed a live session")
	}
	if _, ok := mustFind(t, s, "live"); ok {
		t.Fatal("sweeping revived a tombstone")
	}
}

// TestSessionStoreDeleteCommitRace races a Delete against Commits of the
// same token (a logout or forced sign-out against requests still in
// flight): whatever the interleaving, once the Delete has returned the
// session is never found again, also after the Commits have finished.
func TestSessionStoreDeleteCommitRace(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	s := postgres.NewSessionStore(db)
	soon := time.Now().Add(time.Hour)
	const tokens = 150

	type result struct {
		foundAfterDelete bool
		err              error
	}
	results := make([]result, tokens)
	control := make([]error, tokens)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range tokens {
		tok := fmt.Sprintf("race-%03d", i)
		if i%2 == 0 { // half of the sessions exist before the race, half do not
			if err := s.Commit(tok, []byte("before"), soon); err != nil {
				t.Fatal(err)
			}
		}
		for j := range 2 { // two requests in flight commit the session
			wg.Go(func() {
				<-start
				if err := s.Commit(tok, []byte(fmt.Sprintf("in flight %d", j)), soon); err != nil {
					results[i].err = err
				}
			})
		}
		wg.Go(func() { // the logout
			<-start
			if err := s.Delete(tok); err != nil {
				results[i].err = err
				return
			}
			_, found, err := s.Find(tok)
			results[i].foundAfterDelete, results[i].err = found, err
		})
		ctl := fmt.Sprintf("control-%03d", i)
		wg.Go(func() { // sessions nobody deletes survive the same load
			<-start
			control[i] = s.Commit(ctl, []byte("stays"), soon)
		})
	}
	close(start)
	wg.Wait()

	for i, r := range results {
		tok := fmt.Sprintf("race-%03d", i)
		if r.err != nil {
			t.Fatalf("%s: %v", tok, r.err)
		}
		if r.foundAfterDelete {
			t.Errorf("%s: found right after its Delete returned", tok)
		}
		if b, ok := mustFind(t, s, tok); ok {
			t.Errorf("%s: found after the race (%q): a Commit revived a deleted session", tok, b)
		}
		if control[i] != nil {
			t.Fatal(control[i])
		}
		if _, ok := mustFind(t, s, fmt.Sprintf("control-%03d", i)); !ok {
			t.Errorf("control-%03d lost", i)
		}
	}
}
