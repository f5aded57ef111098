package postgres

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
)

// recordHistory appends one entry to a record's history, inside the
// transaction that made the change. It is the one write path of history:
// every workflow of every resource calls it.
func recordHistory(ctx context.Context, tx pgx.Tx, res crm.Resource, id, actor int64, action string, changes []crm.Change) error {
	if changes == nil {
		changes = []crm.Change{}
	}
	b, err := json.Marshal(changes)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `/* postgres.recordHistory */
		INSERT INTO history (resource, record_id, actor_id, action, changes) VALUES ($1, $2, $3, $4, $5)`,
		string(res), id, nullID(actor), action, b)
	return err
}

// History returns a record's history, newest first (at most 200 entries).
// The caller has checked that the actor may view the record.
func (db *DB) History(ctx context.Context, res crm.Resource, id int64) ([]crm.HistoryEntry, error) {
	rows, err := db.anchored().Query(ctx, `/* postgres.History */
		SELECT h.id, h.at, coalesce(h.actor_id, 0), coalesce(e.name, ''), h.action, h.changes, h.imported
		FROM history h LEFT JOIN employees e ON e.id = h.actor_id
		WHERE h.resource = $1 AND h.record_id = $2 ORDER BY h.id DESC LIMIT 200`, string(res), id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (crm.HistoryEntry, error) {
		var h crm.HistoryEntry
		var raw []byte
		if err := r.Scan(&h.ID, &h.At, &h.ActorID, &h.ActorName, &h.Action, &raw, &h.Imported); err != nil {
			return h, err
		}
		return h, json.Unmarshal(raw, &h.Changes)
	})
}
