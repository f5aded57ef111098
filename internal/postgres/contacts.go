package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"crm/internal/crm"
)

// Contacts (联系人) live under a customer: each row carries the customer's
// id and a copy of its owner and department (customer_owner_id,
// customer_department_id) for rule 7 of the policy, rewritten by the
// customer's claim, release and assign. At most one contact of a customer
// is its primary one (the unique partial index contacts_one_primary).
//
// Writers lock the customer row first and the contact rows after it, the
// order the customer's own workflows (setOwner, DeleteCustomer) follow, so
// that moving the primary flag and moving the customer never deadlock.

const contactFrom = `contacts ct
	JOIN customers cu ON cu.id = ct.customer_id
	LEFT JOIN employees o ON o.id = ct.owner_id
	LEFT JOIN departments d ON d.id = ct.department_id
	LEFT JOIN employees cb ON cb.id = ct.created_by`

const contactColumns = `ct.id, ct.name, ct.title, ct.phone, ct.email, ct.notes, ct.is_primary,
	ct.customer_id, cu.name, coalesce(ct.customer_owner_id, 0), coalesce(ct.customer_department_id, 0),
	coalesce(ct.owner_id, 0), coalesce(o.name, ''), coalesce(ct.department_id, 0), coalesce(d.name, ''),
	ct.created_by, coalesce(cb.name, ''), ct.created_at, ct.updated_at, ct.is_demo`

func scanContact(r pgx.CollectableRow) (crm.Contact, error) {
	var c crm.Contact
	err := r.Scan(&c.ID, &c.Name, &c.Title, &c.Phone, &c.Email, &c.Notes, &c.IsPrimary,
		&c.CustomerID, &c.Parent.Name, &c.CustomerOwnerID, &c.CustomerDepartmentID,
		&c.OwnerID, &c.OwnerName, &c.DepartmentID, &c.DepartmentName,
		&c.CreatedBy, &c.CreatedByName, &c.CreatedAt, &c.UpdatedAt, &c.IsDemo)
	return c, err
}

var contactSorts = map[string]string{
	"created": "ct.created_at, ct.id",
	"name":    "ct.name, ct.id",
}

// contactList is the contact list's page query (joined: a contact's
// customer is always there).
var contactList = listPage[crm.Contact]{name: "FindContacts", table: "contacts", alias: "ct", columns: contactColumns,
	from: contactFrom, sorts: contactSorts, order: "ct.created_at DESC, ct.id DESC", scan: scanContact, joined: true}

// FindContacts returns one page of the contacts a may view that match f,
// and their (capped) total. The permission condition is part of the SQL.
func (db *DB) FindContacts(ctx context.Context, a crm.Actor, f crm.ContactFilter) ([]crm.Contact, crm.Total, error) {
	return contactList.find(ctx, db, contactQuery(a, f), f.ListQuery)
}

// contactQuery builds the conditions of f for a (the list and its export):
// the permission condition first, then the tab's and the filters'.
func contactQuery(a crm.Actor, f crm.ContactFilter) *query {
	var q query
	q.scope(a, crm.ResContact, "ct", f.Tab)
	q.search("(ct.name || ' ' || ct.phone)", f.Query)
	if f.CustomerID != 0 {
		q.and("ct.customer_id = " + q.arg(f.CustomerID))
	}
	return &q
}

// ContactByID returns a contact a may view, with the collaborators of its
// customer (for the policy); ENOTFOUND if it does not exist or a may not
// view it.
func (db *DB) ContactByID(ctx context.Context, a crm.Actor, id int64) (crm.Contact, error) {
	var q query
	q.and("ct.id = " + q.arg(id))
	q.scope(a, crm.ResContact, "ct", crm.TabAll)
	rows, err := db.anchored().Query(ctx, `/* postgres.ContactByID */ SELECT `+contactColumns+` FROM `+contactFrom+q.whereSQL(), q.args.List...)
	if err != nil {
		return crm.Contact{}, err
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanContact)
	if err != nil {
		return c, translate(err)
	}
	c.Collaborators, err = collaboratorIDs(ctx, db.anchored(), c.CustomerID)
	return c, err
}

// collabQuerier is what a pool and a transaction share for reading
// collaborators.
type collabQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func collaboratorIDs(ctx context.Context, q collabQuerier, customerID int64) ([]int64, error) {
	rows, err := q.Query(ctx, `/* postgres.collaboratorIDs */
		SELECT employee_id FROM customer_collaborators WHERE customer_id = $1 ORDER BY employee_id`, customerID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// contactInTx reads one contact with its customer's collaborators, locking
// the contact's row when lock is set. It does not check visibility.
func contactInTx(ctx context.Context, tx pgx.Tx, id int64, lock bool) (crm.Contact, error) {
	sql := `/* postgres.contactInTx */ SELECT ` + contactColumns + ` FROM ` + contactFrom + ` WHERE ct.id = $1`
	if lock {
		sql += ` FOR UPDATE OF ct`
	}
	rows, err := tx.Query(ctx, sql, id)
	if err != nil {
		return crm.Contact{}, err
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanContact)
	if err != nil {
		return c, translate(err)
	}
	c.Collaborators, err = collaboratorIDs(ctx, tx, c.CustomerID)
	return c, err
}

// contactForAction checks that a may view the contact (ENOTFOUND
// otherwise), then locks its customer and the contact, in that order, and
// returns the contact as it is now.
func contactForAction(ctx context.Context, tx pgx.Tx, a crm.Actor, id int64) (crm.Contact, error) {
	before, err := contactInTx(ctx, tx, id, false)
	if err != nil {
		return before, err
	}
	if !crm.CanView(a, before.Record()) {
		return before, crm.ErrNotFound
	}
	if _, err := tx.Exec(ctx, `/* postgres.contactForAction customer */ SELECT 1 FROM customers WHERE id = $1 FOR UPDATE`,
		before.CustomerID); err != nil {
		return before, err
	}
	return contactInTx(ctx, tx, id, true)
}

// CreateContact adds a contact under a customer: allowed when a may add
// records under it (crm.CanAddUnder: the role creates contacts and may
// update the customer), EFORBIDDEN otherwise, ENOTFOUND when a may not
// view the customer (as for follow-ups). The contact
// is owned by its creator, in the creator's department, and carries the
// customer's owner and department. A customer's first contact becomes its
// primary one; IsPrimary takes the flag from the current primary.
func (db *DB) CreateContact(ctx context.Context, a crm.Actor, in crm.ContactInput) (int64, error) {
	if err := in.Validate(); err != nil {
		return 0, err
	}
	var id int64
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		parent, err := lockForAction(ctx, tx, a, customerPool, in.CustomerID)
		if err != nil {
			return err
		}
		if !crm.CanAddUnder(a, crm.ResContact, parent) {
			return crm.ErrForbidden
		}
		var others bool
		if err := tx.QueryRow(ctx, `/* postgres.CreateContact others */ SELECT EXISTS (SELECT 1 FROM contacts WHERE customer_id = $1)`, in.CustomerID).Scan(&others); err != nil {
			return err
		}
		primary := in.IsPrimary || !others
		if in.IsPrimary && others {
			if err := demotePrimary(ctx, tx, a, in.CustomerID, 0); err != nil {
				return err
			}
		}
		err = tx.QueryRow(ctx, `/* postgres.CreateContact */
			INSERT INTO contacts (customer_id, name, title, phone, email, notes, is_primary, owner_id, department_id,
			                      created_by, customer_owner_id, customer_department_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $10, $11) RETURNING id`,
			in.CustomerID, in.Name, in.Title, in.Phone, in.Email, in.Notes, primary, a.ID, nullID(a.DepartmentID),
			nullID(parent.OwnerID), nullID(parent.DepartmentID)).Scan(&id)
		if err != nil {
			return translate(err)
		}
		return recordHistory(ctx, tx, crm.ResContact, id, a.ID, "create", nil)
	})
	return id, err
}

// primaryMark is how the primary flag reads in history.
func primaryMark(b bool) string {
	if b {
		return "✓"
	}
	return ""
}

// demotePrimary clears the primary flag of a customer's primary contact
// (other than except), recording the change in its history. The caller
// holds the customer's lock.
func demotePrimary(ctx context.Context, tx pgx.Tx, a crm.Actor, customerID, except int64) error {
	rows, err := tx.Query(ctx, `/* postgres.demotePrimary */
		UPDATE contacts SET is_primary = false, updated_at = now()
		WHERE customer_id = $1 AND is_primary AND id <> $2 RETURNING id`, customerID, except)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := recordHistory(ctx, tx, crm.ResContact, id, a.ID, "update",
			[]crm.Change{{Field: "is_primary", Old: primaryMark(true), New: primaryMark(false)}}); err != nil {
			return err
		}
	}
	return nil
}

// UpdateContact changes a contact; ENOTFOUND unless a may view it,
// EFORBIDDEN unless a may update it. The customer does not change. Setting
// IsPrimary takes the flag from the current primary contact; clearing it
// does nothing (a customer keeps a primary contact: make another one
// primary instead).
func (db *DB) UpdateContact(ctx context.Context, a crm.Actor, id int64, in crm.ContactInput) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		old, err := contactForAction(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !crm.CanUpdate(a, old.Record()) {
			return crm.ErrForbidden
		}
		in.CustomerID = old.CustomerID
		if err := in.Validate(); err != nil {
			return err
		}
		primary := old.IsPrimary || in.IsPrimary
		if primary && !old.IsPrimary {
			if err := demotePrimary(ctx, tx, a, old.CustomerID, id); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `/* postgres.UpdateContact */
			UPDATE contacts SET name = $2, title = $3, phone = $4, email = $5, notes = $6, is_primary = $7, updated_at = now()
			WHERE id = $1`, id, in.Name, in.Title, in.Phone, in.Email, in.Notes, primary); err != nil {
			return translate(err)
		}
		return recordHistory(ctx, tx, crm.ResContact, id, a.ID, "update", crm.Diff(
			[3]string{"name", old.Name, in.Name}, [3]string{"title", old.Title, in.Title},
			[3]string{"phone", old.Phone, in.Phone}, [3]string{"email", old.Email, in.Email},
			[3]string{"notes", old.Notes, in.Notes},
			[3]string{"is_primary", primaryMark(old.IsPrimary), primaryMark(primary)},
		))
	})
}

// DeleteContact removes a contact; ENOTFOUND unless a may view it,
// EFORBIDDEN unless a may delete it. Deleting the primary contact makes the
// oldest remaining one primary.
func (db *DB) DeleteContact(ctx context.Context, a crm.Actor, id int64) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		old, err := contactForAction(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !crm.CanDelete(a, old.Record()) {
			return crm.ErrForbidden
		}
		if _, err := tx.Exec(ctx, `/* postgres.DeleteContact */ DELETE FROM contacts WHERE id = $1`, id); err != nil {
			return translate(err)
		}
		if err := recordHistory(ctx, tx, crm.ResContact, id, a.ID, "delete", nil); err != nil {
			return err
		}
		if !old.IsPrimary {
			return nil
		}
		rows, err := tx.Query(ctx, `/* postgres.DeleteContact promote */
			UPDATE contacts SET is_primary = true, updated_at = now()
			WHERE id = (SELECT id FROM contacts WHERE customer_id = $1 ORDER BY created_at, id LIMIT 1) RETURNING id`,
			old.CustomerID)
		if err != nil {
			return err
		}
		promoted, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		for _, p := range promoted {
			if err := recordHistory(ctx, tx, crm.ResContact, p, a.ID, "primary", nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// MakePrimary makes a contact its customer's primary one (设为主联系人),
// taking the flag from the current one; ENOTFOUND unless a may view the
// contact, EFORBIDDEN unless a may update it.
func (db *DB) MakePrimary(ctx context.Context, a crm.Actor, id int64) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		c, err := contactForAction(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !crm.CanUpdate(a, c.Record()) {
			return crm.ErrForbidden
		}
		if c.IsPrimary {
			return nil
		}
		if err := demotePrimary(ctx, tx, a, c.CustomerID, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `/* postgres.MakePrimary */
			UPDATE contacts SET is_primary = true, updated_at = now() WHERE id = $1`, id); err != nil {
			return translate(err)
		}
		return recordHistory(ctx, tx, crm.ResContact, id, a.ID, "primary", nil)
	})
}
