package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
)

// stagingTable is the temporary table the rows of an import are copied
// into; it lives until the transaction ends. chunkTable holds the rows of
// one chunk that Write writes at once.
const (
	stagingTable = "import_stage"
	chunkTable   = "import_chunk"
)

// createStaging creates a temporary table of t's staged rows: the file's
// row number, the id of the existing record a row updates (nil: a new
// record), then t.Columns in order.
func (s *ImportSession) createStaging(ctx context.Context, t ImportTarget, name string) error {
	defs := []string{"row_no integer NOT NULL", "id bigint"}
	for _, c := range t.Columns {
		defs = append(defs, c.Name+" "+c.Type)
	}
	_, err := s.tx.Exec(ctx, `/* postgres.ImportSession.createStaging */ CREATE TEMP TABLE `+name+
		` (`+strings.Join(defs, ", ")+`) ON COMMIT DROP`)
	return err
}

func stagedColumns(t ImportTarget) []string {
	cols := []string{"row_no", "id"}
	for _, c := range t.Columns {
		cols = append(cols, c.Name)
	}
	return cols
}

func countUpdates(rows [][]any) int {
	n := 0
	for _, r := range rows {
		if r[1] != nil {
			n++
		}
	}
	return n
}

// Stage copies rows into the staging table (created on the first call),
// to be written by Apply: each row is the file's row number, the id of the
// existing record it updates (nil: a new record), then t.Columns in order.
// One COPY per call: the caller stages a chunk of rows at a time.
func (s *ImportSession) Stage(ctx context.Context, t ImportTarget, rows [][]any) error {
	if !s.write {
		return fmt.Errorf("postgres: staging in a read-only import")
	}
	if !s.staged {
		if err := s.createStaging(ctx, t, stagingTable); err != nil {
			return err
		}
		s.staged = true
	}
	if len(rows) == 0 {
		return nil
	}
	s.updates += countUpdates(rows)
	s.pending = true
	_, err := s.tx.CopyFrom(ctx, pgx.Identifier{stagingTable}, stagedColumns(t), pgx.CopyFromRows(rows))
	return err
}

// Write stages a chunk of rows (as Stage) and, for most tables
// (chunkWise), writes them at once — one COPY into the chunk table, one
// INSERT … SELECT and one UPDATE … FROM, with their history, as Apply
// does for the whole file — so that the database works on one chunk while
// the caller reads and checks the next, and the writes are spread over
// the import instead of all waiting for its end. Apply then runs the
// table's follow-up writes and sums up. Everything stays in the one
// transaction: a later error still rolls every chunk back.
func (s *ImportSession) Write(ctx context.Context, t ImportTarget, jobID int64, rows [][]any) error {
	if !t.chunkWise() {
		return s.Stage(ctx, t, rows)
	}
	if !s.write {
		return fmt.Errorf("postgres: writing in a read-only import")
	}
	if !s.staged && t.wantsAll() {
		if err := s.Stage(ctx, t, nil); err != nil {
			return err
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if !s.chunked {
		if err := s.createStaging(ctx, t, chunkTable); err != nil {
			return err
		}
		s.chunked = true
	} else if _, err := s.tx.Exec(ctx, `/* postgres.ImportSession.Write truncate */ TRUNCATE `+chunkTable); err != nil {
		return err
	}
	if _, err := s.tx.CopyFrom(ctx, pgx.Identifier{chunkTable}, stagedColumns(t), pgx.CopyFromRows(rows)); err != nil {
		return err
	}
	n, err := s.insertStaged(ctx, t, jobID, chunkTable)
	if err != nil {
		return translate(err)
	}
	s.written.Inserted += n
	if n, err = s.updateStaged(ctx, t, jobID, chunkTable, countUpdates(rows)); err != nil {
		return translate(err)
	}
	s.written.Updated += n
	if t.wantsAll() {
		_, err = s.tx.Exec(ctx, `/* postgres.ImportSession.Write keep */ INSERT INTO `+stagingTable+` SELECT * FROM `+chunkTable)
	}
	return err
}

func (s *ImportSession) insertStaged(ctx context.Context, t ImportTarget, jobID int64, from string) (int, error) {
	var cols, vals []string
	for _, c := range t.Columns {
		if c.Insert {
			cols = append(cols, c.Name)
			vals = append(vals, "s."+c.Name)
		}
	}
	hist := ""
	if t.Resource != "" {
		hist = `, h AS (INSERT INTO history (resource, record_id, actor_id, action, changes, imported, import_job_id)
			SELECT $1, ins.id, $2, 'create', '[]', true, $3 FROM ins)`
	}
	var n int
	err := s.tx.QueryRow(ctx, `/* postgres.ImportSession.Apply insert `+t.Table+` */
		WITH ins AS (INSERT INTO `+t.Table+` (`+strings.Join(cols, ", ")+`)
		             SELECT `+strings.Join(vals, ", ")+` FROM `+from+` s WHERE s.id IS NULL ORDER BY s.row_no
		             RETURNING id)`+hist+`
		SELECT count(*) FROM ins`, importHistoryArgs(t, s.actor, jobID)...).Scan(&n)
	return n, err
}

func importHistoryArgs(t ImportTarget, a crm.Actor, jobID int64) []any {
	if t.Resource == "" {
		return nil
	}
	return []any{string(t.Resource), a.ID, jobID}
}

func (s *ImportSession) updateStaged(ctx context.Context, t ImportTarget, jobID int64, from string, updates int) (int, error) {
	if updates == 0 {
		return 0, nil
	}
	// The planner knows nothing of a fresh temporary table: give it the
	// numbers before it joins the staged rows to the records.
	if _, err := s.tx.Exec(ctx, `/* postgres.ImportSession.Apply analyze */ ANALYZE `+from); err != nil {
		return 0, err
	}
	var sets, olds, news []string
	for _, c := range t.Columns {
		if !c.Update {
			continue
		}
		v := "s." + c.Name
		if c.Set != "" {
			v = c.Set
		}
		sets = append(sets, c.Name+" = "+v)
		olds = append(olds, "t."+c.Name)
		news = append(news, v)
	}
	if len(sets) == 0 {
		return 0, nil
	}
	set := strings.Join(sets, ", ") + ", updated_at = now()"
	if t.ExtraSet != "" {
		set = t.ExtraSet + ", " + set
	}
	where := `t.id = s.id AND ROW(` + strings.Join(olds, ", ") + `) IS DISTINCT FROM ROW(` + strings.Join(news, ", ") + `)`
	if t.Resource == "" {
		tag, err := s.tx.Exec(ctx, `/* postgres.ImportSession.Apply update `+t.Table+` */
			UPDATE `+t.Table+` t SET `+set+` FROM `+from+` s WHERE `+where)
		return int(tag.RowsAffected()), err
	}
	// The history shows each changed field's old and new text: old from
	// the snapshot the statement started with, new from the updated row.
	var disp, values []string
	i := 0
	for _, c := range t.Columns {
		if !c.Update || c.History == "" {
			continue
		}
		expr := "t." + c.Name
		if c.Display != "" {
			expr = fmt.Sprintf(c.Display, expr)
		}
		disp = append(disp, "coalesce(("+expr+")::text, '') AS v"+strconv.Itoa(i))
		values = append(values, fmt.Sprintf("(%d, '%s', o.v%d, u.v%d)", i, c.History, i, i))
		i++
	}
	changes := `'[]'::jsonb`
	if len(values) > 0 {
		changes = `(SELECT coalesce(jsonb_agg(jsonb_build_object('f', v.f, 'o', v.o, 'n', v.n) ORDER BY v.i), '[]'::jsonb)
			FROM (VALUES ` + strings.Join(values, ", ") + `) v(i, f, o, n) WHERE v.o IS DISTINCT FROM v.n)`
	}
	// And the typed values of every column written, before and after
	// (history.import_values), for a revert.
	list := "t.id, " + rawValues(t, "t") + " AS raw"
	if len(disp) > 0 {
		list += ", " + strings.Join(disp, ", ")
	}
	var n int
	err := s.tx.QueryRow(ctx, `/* postgres.ImportSession.Apply update `+t.Table+` */
		WITH old AS (SELECT `+list+` FROM `+t.Table+` t JOIN `+from+` s ON s.id = t.id),
		     upd AS (UPDATE `+t.Table+` t SET `+set+` FROM `+from+` s WHERE `+where+` RETURNING `+list+`),
		     h AS (INSERT INTO history (resource, record_id, actor_id, action, changes, imported, import_job_id, import_values)
		           SELECT $1, u.id, $2, 'update', `+changes+`, true, $3, jsonb_build_object('old', o.raw, 'new', u.raw)
		           FROM upd u JOIN old o ON o.id = u.id)
		SELECT count(*) FROM upd`, importHistoryArgs(t, s.actor, jobID)...).Scan(&n)
	return n, err
}
