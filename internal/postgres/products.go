package postgres

import (
	"context"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"crm/internal/crm"
)

// Products (产品) are the company-wide catalogue the quote and order lines
// pick from. They are not owned records: every signed-in employee views
// them (crm.CanView), so their lists carry no permission condition; only
// crm.CanManageProducts (admin, management) creates and changes them. A
// product is never deleted — quote and order lines refer to it (SPEC §5) —
// it is deactivated instead and leaves the line pickers.

const productColumns = `p.id, p.sku, p.name, p.category, p.unit, p.list_price, p.description, p.active, p.is_demo, p.created_at`

func scanProduct(r pgx.CollectableRow) (crm.Product, error) {
	var p crm.Product
	err := r.Scan(&p.ID, &p.SKU, &p.Name, &p.Category, &p.Unit, &p.ListPrice, &p.Description, &p.Active, &p.IsDemo, &p.CreatedAt)
	return p, err
}

var productSorts = map[string]string{
	"sku":      "p.sku, p.id",
	"name":     "p.name, p.id",
	"category": "p.category, p.name, p.id",
	"price":    "p.list_price, p.id",
	"created":  "p.created_at, p.id",
}

// FindProducts returns one page of the catalogue matching f, and its
// (capped) total; by name unless f says otherwise.
func (db *DB) FindProducts(ctx context.Context, f crm.ProductFilter) ([]crm.Product, crm.Total, error) {
	q := productQuery(f)
	total, err := q.count(ctx, db, "FindProducts", "products p")
	if err != nil {
		return nil, total, err
	}
	p := f.Page.Norm()
	order := orderBy(productSorts, f.Sort, f.Desc, "p.name ASC, p.id ASC")
	rows, err := db.Pool.Query(ctx, `/* postgres.FindProducts */ SELECT `+productColumns+` FROM products p`+q.whereSQL()+
		` ORDER BY `+order+` LIMIT `+strconv.Itoa(p.PerPage)+` OFFSET `+strconv.Itoa((p.Page-1)*p.PerPage), q.args.List...)
	if err != nil {
		return nil, total, err
	}
	out, err := pgx.CollectRows(rows, scanProduct)
	return out, total, err
}

// productQuery builds the conditions of f (the list and its export).
func productQuery(f crm.ProductFilter) *query {
	var q query
	q.search("(p.sku || ' ' || p.name)", f.Query) // the trigram index products_name_trgm
	if c := crm.CleanText(f.Category); c != "" {
		q.and("p.category = " + q.arg(c))
	}
	switch f.Active {
	case "yes":
		q.and("p.active")
	case "no":
		q.and("NOT p.active")
	}
	return &q
}

// ProductCategories lists the categories in use (at most 200, by name), for
// the list's filter and the form's suggestions.
func (db *DB) ProductCategories(ctx context.Context) ([]string, error) {
	rows, err := db.Pool.Query(ctx, `/* postgres.ProductCategories */
		SELECT DISTINCT category FROM products WHERE category <> '' ORDER BY category LIMIT 200`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// ProductByID returns a product; ENOTFOUND if there is none.
func (db *DB) ProductByID(ctx context.Context, id int64) (crm.Product, error) {
	rows, err := db.anchored().Query(ctx, `/* postgres.ProductByID */ SELECT `+productColumns+` FROM products p WHERE p.id = $1`, id)
	if err != nil {
		return crm.Product{}, err
	}
	p, err := pgx.CollectExactlyOneRow(rows, scanProduct)
	return p, translate(err)
}

// MaxProductChoices bounds the product pickers of the line editors.
const MaxProductChoices = 1000

// ProductChoices lists the active products for the pickers of the quote
// and order line editors, by name (at most MaxProductChoices), plus those
// of keep (the products already on the document being edited, which stay
// offered after a deactivation). Each carries ID, SKU, Name, Unit,
// ListPrice and Active.
func (db *DB) ProductChoices(ctx context.Context, keep ...int64) ([]crm.Product, error) {
	if keep == nil {
		keep = []int64{}
	}
	rows, err := db.Pool.Query(ctx, `/* postgres.ProductChoices */
		SELECT `+productColumns+` FROM (
			(SELECT id FROM products WHERE active ORDER BY name, id LIMIT `+strconv.Itoa(MaxProductChoices)+`)
			UNION
			(SELECT id FROM products WHERE id = ANY($1::bigint[]))
		) x JOIN products p ON p.id = x.id
		ORDER BY p.name, p.id`, keep)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanProduct)
}

// skuTaken turns the unique violation of products_sku_key into a message
// on the form's sku field (ECONFLICT, as translate does for the unique
// constraints it knows); other errors go through translate.
func skuTaken(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "products_sku_key" {
		return &crm.Error{Code: crm.ECONFLICT, Message: "error.invalid", Fields: map[string]string{"sku": "error.taken"}}
	}
	return translate(err)
}

// CreateProduct adds a product (active) and its history entry. EFORBIDDEN
// unless a may manage products; EINVALID for bad input; ECONFLICT with a
// message on sku when the SKU is taken.
func (db *DB) CreateProduct(ctx context.Context, a crm.Actor, in crm.ProductInput) (int64, error) {
	if !crm.CanManageProducts(a) {
		return 0, crm.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return 0, err
	}
	var id int64
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `/* postgres.CreateProduct */
			INSERT INTO products (sku, name, category, unit, list_price, description, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			in.SKU, in.Name, in.Category, in.Unit, in.ListPrice, in.Description, a.ID).Scan(&id)
		if err != nil {
			return skuTaken(err)
		}
		return recordHistory(ctx, tx, crm.ResProduct, id, a.ID, "create", nil)
	})
	return id, err
}

// productInTx reads one product, locking its row.
func productInTx(ctx context.Context, tx pgx.Tx, id int64) (crm.Product, error) {
	rows, err := tx.Query(ctx, `/* postgres.productInTx */ SELECT `+productColumns+` FROM products p WHERE p.id = $1 FOR UPDATE`, id)
	if err != nil {
		return crm.Product{}, err
	}
	p, err := pgx.CollectExactlyOneRow(rows, scanProduct)
	return p, translate(err)
}

// UpdateProduct changes a product: EFORBIDDEN unless a may manage
// products, ENOTFOUND when there is no such product, EINVALID for bad
// input, ECONFLICT on sku when the new SKU is taken. Lines already on
// quotes and orders keep their own prices.
func (db *DB) UpdateProduct(ctx context.Context, a crm.Actor, id int64, in crm.ProductInput) error {
	if !crm.CanManageProducts(a) {
		return crm.ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx pgx.Tx) error {
		old, err := productInTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `/* postgres.UpdateProduct */
			UPDATE products SET sku = $2, name = $3, category = $4, unit = $5, list_price = $6, description = $7,
			       updated_at = now()
			WHERE id = $1`, id, in.SKU, in.Name, in.Category, in.Unit, in.ListPrice, in.Description); err != nil {
			return skuTaken(err)
		}
		changes := crm.Diff(
			[3]string{"sku_product", old.SKU, in.SKU}, [3]string{"name_product", old.Name, in.Name},
			[3]string{"category_product", old.Category, in.Category}, [3]string{"unit_product", old.Unit, in.Unit},
			[3]string{"price_product", old.ListPrice.StringFixed(2), in.ListPrice.StringFixed(2)},
			[3]string{"description", old.Description, in.Description})
		if len(changes) == 0 {
			return nil // nothing changed: no history entry
		}
		return recordHistory(ctx, tx, crm.ResProduct, id, a.ID, "update", changes)
	})
}

// productActiveValue is how the active flag reads in history ("yes"/"no";
// the product page shows them as 启用/已停用).
func productActiveValue(active bool) string {
	if active {
		return "yes"
	}
	return "no"
}

// SetProductActive activates or deactivates (停用) a product: EFORBIDDEN
// unless a may manage products, ENOTFOUND when there is none. A product
// already in that state is left alone (no history entry).
func (db *DB) SetProductActive(ctx context.Context, a crm.Actor, id int64, active bool) error {
	if !crm.CanManageProducts(a) {
		return crm.ErrForbidden
	}
	return db.InTx(ctx, func(tx pgx.Tx) error {
		old, err := productInTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if old.Active == active {
			return nil
		}
		if _, err := tx.Exec(ctx, `/* postgres.SetProductActive */
			UPDATE products SET active = $2, updated_at = now() WHERE id = $1`, id, active); err != nil {
			return err
		}
		return recordHistory(ctx, tx, crm.ResProduct, id, a.ID, "update",
			[]crm.Change{{Field: "active_product", Old: productActiveValue(old.Active), New: productActiveValue(active)}})
	})
}
