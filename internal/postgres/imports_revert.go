package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
)

// Reverting an import (撤销导入).

// ImportBlocker is one reason an import cannot be reverted: a record it
// wrote (Record names it) that something since depends on, or that has
// changed since.
type ImportBlocker struct {
	Record string
	// Kind says which: BlockDependents (Count records of Table refer to
	// it), BlockChanged (it changed since: last by Actor at At with Action,
	// a history action — by import Job when that is not 0; no Action when
	// the import predates reverts and kept no values to put back).
	Kind   string
	Table  string
	Count  int
	Action string
	Actor  string
	At     *time.Time
	Job    int64
}

// The kinds of ImportBlocker.
const (
	BlockDependents = "dependents"
	BlockChanged    = "changed"
)

// maxBlockers bounds the reasons a refused revert gives.
const maxBlockers = 50

// ImportRevert says what a revert did.
type ImportRevert struct {
	Deleted  int // records the import created, removed
	Restored int // records the import updated, put back
}

// revertTable and restoreTable hold the records a revert removes and puts
// back, for the transaction.
const (
	revertTable  = "import_revert"
	restoreTable = "import_restore"
)

// Revert undoes what the import job wrote into t, in the session's
// transaction: the records it created are removed (with a 'delete' entry
// in their history) and those it updated get back the values they had
// (history.import_values "old"; an 'import_revert' entry) — unless
// something holds it back, and then nothing is written and every reason
// is returned (at most maxBlockers): a record created since that refers to
// one of the import's records (any foreign key, found in the catalogue, so
// that tables added later count too; rows of t.Owns excepted); a created
// record changed since (an entry in its history not from this import); an
// updated record whose values are no longer those the import wrote.
// Records deleted since are left out. The records are locked first, so
// that nothing can come to depend on them while the revert runs. The
// figures follow: the triggers move the campaigns' and leads', and the
// table's own revert moves the customers' deal figures (orders), the
// orders' and customers' paid amounts (payments), the customers' primary
// contacts (contacts) and the parents' follow-up times (follow-ups).
func (s *ImportSession) Revert(ctx context.Context, t ImportTarget, jobID int64) (ImportRevert, []ImportBlocker, error) {
	var res ImportRevert
	if !t.Revertible() {
		return res, nil, crm.Errorf(crm.ECONFLICT, "import.revert_unsupported")
	}
	if !s.write {
		return res, nil, fmt.Errorf("postgres: reverting in a read-only import")
	}
	tbl, name := pgx.Identifier{t.Table}.Sanitize(), t.Name
	if name == "" {
		name = "x.id::text"
	}
	res0 := string(t.Resource)
	// Nothing grows under a revert, and its temporary tables are analysed:
	// the planner may join as it likes again (see RunImport).
	if _, err := s.tx.Exec(ctx, `/* postgres.ImportSession.Revert plan */ SET LOCAL enable_hashjoin = on; SET LOCAL enable_mergejoin = on`); err != nil {
		return res, nil, err
	}
	if err := s.revertRecords(ctx, tbl, res0, jobID); err != nil {
		return res, nil, err
	}
	blockers, err := s.revertBlockers(ctx, t, jobID, tbl, name)
	if err != nil || len(blockers) > 0 {
		return res, blockers, err
	}
	if err := s.revertBefore(ctx, t, jobID); err != nil {
		return res, nil, err
	}
	parents, err := s.revertParents(ctx, t)
	if err != nil {
		return res, nil, err
	}
	if res.Restored, err = s.restoreUpdated(ctx, t, tbl, res0, jobID); err != nil {
		return res, nil, err
	}
	// Remove the created ones.
	if err := s.tx.QueryRow(ctx, `/* postgres.ImportSession.Revert delete `+t.Table+` */
		WITH del AS (DELETE FROM `+tbl+` x USING `+revertTable+` r WHERE x.id = r.id RETURNING x.id),
		     hi AS (INSERT INTO history (resource, record_id, actor_id, action, changes, imported, import_job_id)
		            SELECT $1, del.id, $2, 'delete', '[]', true, $3 FROM del)
		SELECT count(*) FROM del`, res0, s.actor.ID, jobID).Scan(&res.Deleted); err != nil {
		return res, nil, translate(err)
	}
	return res, nil, s.revertAfter(ctx, t, jobID, parents)
}

// revertRecords fills the revert's temporary tables with the live
// records the job created (revertTable) and updated (restoreTable), locked
// in id order (those deleted since are gone already).
func (s *ImportSession) revertRecords(ctx context.Context, tbl, res string, jobID int64) error {
	for _, q := range []string{
		`CREATE TEMP TABLE ` + revertTable + ` (id bigint PRIMARY KEY, hist bigint NOT NULL) ON COMMIT DROP`,
		`CREATE TEMP TABLE ` + restoreTable + ` (id bigint PRIMARY KEY, hist bigint NOT NULL) ON COMMIT DROP`,
	} {
		if _, err := s.tx.Exec(ctx, `/* postgres.ImportSession.Revert temp */ `+q); err != nil {
			return err
		}
	}
	// The records, locked in id order (the live ones: those deleted since
	// are gone already).
	for _, k := range []struct{ into, action string }{{revertTable, "create"}, {restoreTable, "update"}} {
		if _, err := s.tx.Exec(ctx, `/* postgres.ImportSession.Revert records */
			INSERT INTO `+k.into+` (id, hist)
			SELECT x.id, h.id FROM history h JOIN `+tbl+` x ON x.id = h.record_id
			WHERE h.import_job_id = $1 AND h.resource = $2 AND h.action = $3
			ORDER BY x.id FOR UPDATE OF x`, jobID, res, k.action); err != nil {
			return err
		}
		if _, err := s.tx.Exec(ctx, `/* postgres.ImportSession.Revert analyze */ ANALYZE `+k.into); err != nil {
			return err
		}
	}
	return nil
}

// restoreUpdated puts back the values the job's updated records had, with
// an 'import_revert' entry in their history; it returns how many.
func (s *ImportSession) restoreUpdated(ctx context.Context, t ImportTarget, tbl, res string, jobID int64) (int, error) {
	var n int
	cols := restoredColumns(t)
	var olds []string
	for _, c := range cols {
		olds = append(olds, "o."+c)
	}
	if len(cols) > 0 {
		if err := s.tx.QueryRow(ctx, `/* postgres.ImportSession.Revert restore `+t.Table+` */
			WITH upd AS (
			         UPDATE `+tbl+` x SET (`+strings.Join(cols, ", ")+`) = ROW(`+strings.Join(olds, ", ")+`), updated_at = now()
			         FROM `+restoreTable+` r JOIN history h ON h.id = r.hist
			              CROSS JOIN LATERAL jsonb_populate_record(NULL::`+tbl+`, h.import_values->'old') o
			         WHERE x.id = r.id
			         RETURNING x.id, r.hist),
			     hi AS (
			         INSERT INTO history (resource, record_id, actor_id, action, changes, imported, import_job_id)
			         SELECT $1, u.id, $2, 'import_revert',
			                (SELECT coalesce(jsonb_agg(jsonb_build_object('f', c->>'f', 'o', c->>'n', 'n', c->>'o')), '[]')
			                 FROM jsonb_array_elements(h.changes) c), true, $3
			         FROM upd u JOIN history h ON h.id = u.hist)
			SELECT count(*) FROM upd`, res, s.actor.ID, jobID).Scan(&n); err != nil {
			return 0, translate(err)
		}
	}
	return n, nil
}

// revertBlockers finds what holds a revert back (see Revert).
func (s *ImportSession) revertBlockers(ctx context.Context, t ImportTarget, jobID int64, tbl, name string) ([]ImportBlocker, error) {
	var out []ImportBlocker
	collect := func(sql string, args ...any) error {
		if len(out) >= maxBlockers {
			return nil
		}
		rows, err := s.tx.Query(ctx, sql+` LIMIT `+strconv.Itoa(maxBlockers-len(out)), args...)
		if err != nil {
			return err
		}
		list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ImportBlocker])
		out = append(out, list...)
		return err
	}
	// Records created since that refer to the created ones, through every
	// single-column foreign key onto the table.
	rows, err := s.tx.Query(ctx, `/* postgres.ImportSession.Revert foreign keys */
		SELECT c.conrelid::regclass::text, a.attname::text, (SELECT ct.relname::text FROM pg_class ct WHERE ct.oid = c.conrelid)
		FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		WHERE c.contype = 'f' AND c.confrelid = $1::regclass AND cardinality(c.conkey) = 1
		ORDER BY 3, 2`, t.Table)
	if err != nil {
		return nil, err
	}
	type fk struct{ Rel, Col, Name string }
	fks, err := pgx.CollectRows(rows, pgx.RowToStructByPos[fk])
	if err != nil {
		return nil, err
	}
	for _, f := range fks {
		if slices.Contains(t.Owns, f.Name) {
			continue
		}
		self := ""
		if f.Name == t.Table {
			self = ` AND c.id NOT IN (SELECT id FROM ` + revertTable + `)`
		}
		col := pgx.Identifier{f.Col}.Sanitize()
		if err := collect(`/* postgres.ImportSession.Revert dependents */
			SELECT `+name+`, '`+BlockDependents+`', $1::text, count(*)::int, '', '', NULL::timestamptz, 0::bigint
			FROM `+f.Rel+` c JOIN `+revertTable+` r ON r.id = c.`+col+` JOIN `+tbl+` x ON x.id = r.id
			WHERE TRUE`+self+` GROUP BY x.id, `+name+` ORDER BY x.id`, f.Name); err != nil {
			return nil, err
		}
	}
	// Created records changed since: an entry of their history that is not
	// this import's.
	if err := collect(`/* postgres.ImportSession.Revert changed since */
		SELECT `+name+`, '`+BlockChanged+`', '', 0, h.action, coalesce(e.name, ''), h.at, coalesce(h.import_job_id, 0)
		FROM `+revertTable+` r JOIN `+tbl+` x ON x.id = r.id
		CROSS JOIN LATERAL (SELECT h.action, h.actor_id, h.at, h.import_job_id FROM history h
		                    WHERE h.resource = $1 AND h.record_id = r.id AND h.import_job_id IS DISTINCT FROM $2
		                    ORDER BY h.id DESC LIMIT 1) h
		LEFT JOIN employees e ON e.id = h.actor_id
		ORDER BY x.id`, string(t.Resource), jobID); err != nil {
		return nil, err
	}
	// Updated records whose values are no longer the import's (or that an
	// import before reverts existed cannot put back): the latest other
	// entry of their history says who changed them.
	cols := restoredColumns(t)
	var cur, news []string
	for _, c := range cols {
		cur = append(cur, "x."+c)
		news = append(news, "n."+c)
	}
	if len(cols) > 0 {
		if err := collect(`/* postgres.ImportSession.Revert updated since */
			SELECT `+name+`, '`+BlockChanged+`', '', 0, CASE WHEN h.import_values IS NULL THEN '' ELSE coalesce(l.action, 'update') END, coalesce(e.name, ''), l.at, coalesce(l.import_job_id, 0)
			FROM `+restoreTable+` r JOIN `+tbl+` x ON x.id = r.id JOIN history h ON h.id = r.hist
			LEFT JOIN LATERAL jsonb_populate_record(NULL::`+tbl+`, h.import_values->'new') n ON TRUE
			LEFT JOIN LATERAL (SELECT l.action, l.actor_id, l.at, l.import_job_id FROM history l
			                   WHERE l.resource = $1 AND l.record_id = r.id AND l.id > h.id
			                   ORDER BY l.id DESC LIMIT 1) l ON TRUE
			LEFT JOIN employees e ON e.id = l.actor_id
			WHERE h.import_values IS NULL OR ROW(`+strings.Join(cur, ", ")+`) IS DISTINCT FROM ROW(`+strings.Join(news, ", ")+`)
			ORDER BY x.id`, string(t.Resource)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// revertBefore moves the figures the records about to be removed had
// moved: approved orders leave their customers' deal figures (and a
// customer with no deal left is 潜在客户 again; an 'import_revert' entry in
// its history says so), confirmed payments their orders' and customers'
// paid amounts.
func (s *ImportSession) revertBefore(ctx context.Context, t ImportTarget, jobID int64) error {
	switch t.Table {
	case "orders":
		if _, err := s.tx.Exec(ctx, `/* postgres.revertBefore lock customers */
			SELECT 1 FROM customers WHERE id IN (SELECT o.customer_id FROM orders o JOIN `+revertTable+` r ON r.id = o.id
			                                     WHERE o.status = 'approved') ORDER BY id FOR NO KEY UPDATE`); err != nil {
			return err
		}
		ids, err := s.reverted(ctx)
		if err != nil {
			return err
		}
		return moveDealFigures(ctx, s.tx, ids, -1, figureHistory{actor: s.actor.ID, action: "import_revert", job: jobID})
	case "payments":
		ids, err := s.reverted(ctx)
		if err != nil {
			return err
		}
		return moveMoneyFigures(ctx, s.tx, "payments", "paid_amount", ids, -1)
	}
	return nil
}

// reverted lists the ids of the records a revert removes.
func (s *ImportSession) reverted(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := s.tx.QueryRow(ctx, `/* postgres.ImportSession.reverted */ SELECT coalesce(array_agg(id), '{}') FROM `+revertTable).Scan(&ids)
	return ids, err
}

// revertAfter repairs what the removed records leave behind (parents are
// the customers or leads they were under, as revertParents found them): a
// customer whose primary contact went gets its oldest remaining one; a
// lead's or customer's last follow-up time is the latest of its remaining
// follow-ups, and its next follow-up time and a lead's status go back to
// what they were before the import where nobody has changed them since (a
// lead's status only when it has no follow-up left).
func (s *ImportSession) revertAfter(ctx context.Context, t ImportTarget, jobID int64, parents map[string][]int64) error {
	switch t.Table {
	case "contacts":
		_, err := s.tx.Exec(ctx, `/* postgres.revertAfter primary contacts */
			UPDATE contacts c SET is_primary = true
			FROM (SELECT DISTINCT ON (ct.customer_id) ct.id FROM contacts ct
			      WHERE ct.customer_id = ANY($1::bigint[])
			        AND NOT EXISTS (SELECT 1 FROM contacts p WHERE p.customer_id = ct.customer_id AND p.is_primary)
			      ORDER BY ct.customer_id, ct.created_at, ct.id) first
			WHERE c.id = first.id`, parents["customer_id"])
		return err
	case "follow_ups":
		for _, p := range []struct {
			table, col string
			res        crm.Resource
		}{{"leads", "lead_id", crm.ResLead}, {"customers", "customer_id", crm.ResCustomer}} {
			if _, err := s.tx.Exec(ctx, `/* postgres.revertAfter last follow-up */
				UPDATE `+p.table+` x SET last_follow_up_at = (SELECT max(f.followed_at) FROM follow_ups f WHERE f.`+p.col+` = x.id)
				WHERE x.id = ANY($1::bigint[])`, parents[p.col]); err != nil {
				return err
			}
			status := ""
			if p.res == crm.ResLead {
				status = `, status = CASE WHEN x.status = n.status AND o.status IS NOT NULL AND NOT EXISTS (
				                   SELECT 1 FROM follow_ups f WHERE f.lead_id = x.id) THEN o.status ELSE x.status END`
			}
			if _, err := s.tx.Exec(ctx, `/* postgres.revertAfter follow-up parents */
				UPDATE `+p.table+` x SET
				       next_follow_up_at = CASE WHEN x.next_follow_up_at IS NOT DISTINCT FROM n.next_follow_up_at
				                                THEN o.next_follow_up_at ELSE x.next_follow_up_at END`+status+`
				FROM history h
				     CROSS JOIN LATERAL jsonb_populate_record(NULL::`+p.table+`, h.import_values->'old') o
				     CROSS JOIN LATERAL jsonb_populate_record(NULL::`+p.table+`, h.import_values->'new') n
				WHERE h.import_job_id = $1 AND h.resource = $2 AND h.action = 'update' AND x.id = h.record_id`,
				jobID, string(p.res)); err != nil {
				return err
			}
		}
	}
	return nil
}

// revertParents finds, before they go, the parents of the records a
// revert removes, by parent column (contacts: customers; follow-ups: leads
// and customers).
func (s *ImportSession) revertParents(ctx context.Context, t ImportTarget) (map[string][]int64, error) {
	var cols []string
	switch t.Table {
	case "contacts":
		cols = []string{"customer_id"}
	case "follow_ups":
		cols = []string{"lead_id", "customer_id"}
	}
	out := map[string][]int64{}
	for _, c := range cols {
		rows, err := s.tx.Query(ctx, `/* postgres.revertParents */ SELECT DISTINCT x.`+c+` FROM `+t.Table+` x
			JOIN `+revertTable+` r ON r.id = x.id WHERE x.`+c+` IS NOT NULL`)
		if err != nil {
			return nil, err
		}
		if out[c], err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return nil, err
		}
	}
	return out, nil
}
