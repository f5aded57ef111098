package postgres

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
)

// optionUses lists the columns that point at options, to count uses.
var optionUses = [][2]string{
	{"leads", "source_id"}, {"customers", "source_id"}, {"customers", "industry_id"},
	{"customers", "level_id"}, {"campaigns", "type_id"}, {"follow_ups", "method_id"},
}

// Options returns the values of one list in their order.
func (db *DB) Options(ctx context.Context, kind crm.OptionKind) ([]crm.Option, error) {
	rows, err := db.anchored().Query(ctx, `/* postgres.Options */
		SELECT id, kind, name, name_en, position FROM options WHERE kind = $1 ORDER BY position, id`, string(kind))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanOption)
}

// allOptions reads every value list, keyed by kind.
func allOptions(ctx context.Context, q querier) (map[crm.OptionKind][]crm.Option, error) {
	rows, err := q.Query(ctx, `/* postgres.AllOptions */
		SELECT id, kind, name, name_en, position FROM options ORDER BY kind, position, id`)
	if err != nil {
		return nil, err
	}
	opts, err := pgx.CollectRows(rows, scanOption)
	if err != nil {
		return nil, err
	}
	out := map[crm.OptionKind][]crm.Option{}
	for _, o := range opts {
		out[o.Kind] = append(out[o.Kind], o)
	}
	return out, nil
}

// OptionUseCap is where the use counts of the options page stop counting.
const OptionUseCap = 1000

// OptionsWithUse returns one list with the number of records using each
// value, counted up to OptionUseCap per column (for the admin page: whether
// a value is in use, and roughly how much; every column is indexed).
func (db *DB) OptionsWithUse(ctx context.Context, kind crm.OptionKind) ([]crm.Option, error) {
	opts, err := db.Options(ctx, kind)
	if err != nil {
		return nil, err
	}
	for i := range opts {
		var n int
		q := "SELECT count(*) FROM ("
		for j, u := range optionUses {
			if j > 0 {
				q += " UNION ALL "
			}
			q += "(SELECT 1 FROM " + u[0] + " WHERE " + u[1] + " = $1 LIMIT " + strconv.Itoa(OptionUseCap) + ")"
		}
		q += ") x"
		if err := db.Pool.QueryRow(ctx, "/* postgres.OptionsWithUse */ "+q, opts[i].ID).Scan(&n); err != nil {
			return nil, err
		}
		opts[i].InUse = n
	}
	return opts, nil
}

func scanOption(r pgx.CollectableRow) (crm.Option, error) {
	var o crm.Option
	err := r.Scan(&o.ID, &o.Kind, &o.Name, &o.NameEn, &o.Position)
	return o, err
}

// OptionByID returns one value; ENOTFOUND if there is none.
func (db *DB) OptionByID(ctx context.Context, id int64) (crm.Option, error) {
	rows, err := db.Pool.Query(ctx, `/* postgres.OptionByID */
		SELECT id, kind, name, name_en, position FROM options WHERE id = $1`, id)
	if err != nil {
		return crm.Option{}, err
	}
	o, err := pgx.CollectExactlyOneRow(rows, scanOption)
	return o, translate(err)
}

// AddOption appends a value at the end of its list.
func (db *DB) AddOption(ctx context.Context, kind crm.OptionKind, name, nameEn string, demo bool) (int64, error) {
	var id int64
	err := db.Pool.QueryRow(ctx, `/* postgres.AddOption */
		INSERT INTO options (kind, name, name_en, position, is_demo)
		VALUES ($1, $2, $3, (SELECT coalesce(max(position), 0) + 1 FROM options WHERE kind = $1), $4) RETURNING id`,
		string(kind), name, nameEn, demo).Scan(&id)
	return id, translate(err)
}

// RenameOption changes a value's names; records follow, as they point at it.
func (db *DB) RenameOption(ctx context.Context, id int64, name, nameEn string) error {
	tag, err := db.Pool.Exec(ctx, `/* postgres.RenameOption */ UPDATE options SET name = $2, name_en = $3 WHERE id = $1`, id, name, nameEn)
	if err != nil {
		return translate(err)
	}
	if tag.RowsAffected() == 0 {
		return crm.ErrNotFound
	}
	return nil
}

// MoveOption moves a value one place up (delta -1) or down (+1) in its list.
func (db *DB) MoveOption(ctx context.Context, id int64, delta int) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		var kind string
		if err := tx.QueryRow(ctx, `SELECT kind FROM options WHERE id = $1`, id).Scan(&kind); err != nil {
			return translate(err)
		}
		// Lock the list, renumber it 1..n, then swap with the neighbour.
		rows, err := tx.Query(ctx, `SELECT id FROM options WHERE kind = $1 ORDER BY position, id FOR UPDATE`, kind)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		for i, x := range ids {
			if x == id {
				j := i + delta
				if j >= 0 && j < len(ids) {
					ids[i], ids[j] = ids[j], ids[i]
				}
				break
			}
		}
		_, err = tx.Exec(ctx, `/* postgres.MoveOption */
			UPDATE options o SET position = x.pos FROM unnest($1::bigint[]) WITH ORDINALITY AS x(id, pos) WHERE o.id = x.id`, ids)
		return err
	})
}

// DeleteOption removes a value no record uses; one in use is refused.
func (db *DB) DeleteOption(ctx context.Context, id int64) error {
	tag, err := db.Pool.Exec(ctx, `/* postgres.DeleteOption */ DELETE FROM options WHERE id = $1`, id)
	if err != nil {
		if crm.ErrorCode(translate(err)) == crm.ECONFLICT {
			return crm.Errorf(crm.ECONFLICT, "error.option_in_use")
		}
		return err
	}
	if tag.RowsAffected() == 0 {
		return crm.ErrNotFound
	}
	return nil
}
