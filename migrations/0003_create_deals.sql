-- +goose Up

CREATE TABLE products (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku         text NOT NULL,
    name        text NOT NULL,
    category    text NOT NULL DEFAULT '',
    unit        text NOT NULL DEFAULT '',
    list_price  numeric(14, 2) NOT NULL DEFAULT 0 CHECK (list_price >= 0),
    description text NOT NULL DEFAULT '',
    active      boolean NOT NULL DEFAULT true,
    created_by  bigint REFERENCES employees (id),
    is_demo     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT products_sku_key UNIQUE (sku)
);
CREATE INDEX products_name_trgm ON products USING gin ((sku || ' ' || name) gin_trgm_ops);
CREATE INDEX products_active_idx ON products (active, name);

-- Document numbers (BJ-2026-00001, DD-2026-00001): one counter per kind and
-- year, taken with a row lock inside the transaction that creates the
-- document, so numbers are unique and gap-free per committed document.
CREATE TABLE doc_counters (
    kind  text NOT NULL,
    year  integer NOT NULL,
    last  integer NOT NULL,
    PRIMARY KEY (kind, year)
);

CREATE TABLE opportunities (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                    text NOT NULL,
    customer_id             bigint NOT NULL REFERENCES customers (id),
    stage                   text NOT NULL DEFAULT 'initial'
                            CHECK (stage IN ('initial', 'needs', 'proposal', 'negotiation', 'won', 'lost')),
    expected_amount         numeric(14, 2) NOT NULL DEFAULT 0 CHECK (expected_amount >= 0),
    expected_close          date,
    notes                   text NOT NULL DEFAULT '',
    last_follow_up_at       timestamptz,
    stage_changed_at        timestamptz NOT NULL DEFAULT now(),
    owner_id                bigint REFERENCES employees (id),
    department_id           bigint REFERENCES departments (id),
    created_by              bigint NOT NULL REFERENCES employees (id),
    customer_owner_id       bigint REFERENCES employees (id),
    customer_department_id  bigint REFERENCES departments (id),
    is_demo                 boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX opportunities_customer_idx ON opportunities (customer_id);
CREATE INDEX opportunities_owner_idx ON opportunities (owner_id, created_at DESC);
CREATE INDEX opportunities_created_by_idx ON opportunities (created_by);
CREATE INDEX opportunities_department_idx ON opportunities (department_id, created_at DESC);
CREATE INDEX opportunities_customer_owner_idx ON opportunities (customer_owner_id);
CREATE INDEX opportunities_customer_department_idx ON opportunities (customer_department_id);
CREATE INDEX opportunities_stage_idx ON opportunities (stage, stage_changed_at DESC, id DESC);
CREATE INDEX opportunities_created_idx ON opportunities (created_at DESC, id DESC);
CREATE INDEX opportunities_name_trgm ON opportunities USING gin (name gin_trgm_ops);

-- Follow-ups may also concern an opportunity (always of its customer).
ALTER TABLE follow_ups ADD COLUMN opportunity_id bigint REFERENCES opportunities (id) ON DELETE CASCADE;
CREATE INDEX follow_ups_opportunity_idx ON follow_ups (opportunity_id, followed_at DESC) WHERE opportunity_id IS NOT NULL;
ALTER TABLE follow_ups ADD CONSTRAINT follow_ups_opportunity_customer CHECK (opportunity_id IS NULL OR customer_id IS NOT NULL);

CREATE TABLE quotes (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number                  text NOT NULL,
    customer_id             bigint NOT NULL REFERENCES customers (id),
    opportunity_id          bigint REFERENCES opportunities (id),
    quote_date              date NOT NULL DEFAULT current_date,
    valid_until             date,
    status                  text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'sent', 'accepted', 'rejected', 'expired')),
    total                   numeric(16, 2) NOT NULL DEFAULT 0,
    notes                   text NOT NULL DEFAULT '',
    order_id                bigint,
    owner_id                bigint REFERENCES employees (id),
    department_id           bigint REFERENCES departments (id),
    created_by              bigint NOT NULL REFERENCES employees (id),
    customer_owner_id       bigint REFERENCES employees (id),
    customer_department_id  bigint REFERENCES departments (id),
    is_demo                 boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT quotes_number_key UNIQUE (number)
);
CREATE INDEX quotes_customer_idx ON quotes (customer_id, created_at DESC);
CREATE INDEX quotes_opportunity_idx ON quotes (opportunity_id);
CREATE INDEX quotes_owner_idx ON quotes (owner_id, created_at DESC);
CREATE INDEX quotes_created_by_idx ON quotes (created_by);
CREATE INDEX quotes_department_idx ON quotes (department_id, created_at DESC);
CREATE INDEX quotes_customer_owner_idx ON quotes (customer_owner_id);
CREATE INDEX quotes_customer_department_idx ON quotes (customer_department_id);
CREATE INDEX quotes_created_idx ON quotes (created_at DESC, id DESC);

-- Lines of quotes and orders: subtotal = round(unit_price × discount ×
-- quantity, 2), computed by crm.Line and stored; the document's total is
-- the sum of its rounded subtotals.
CREATE TABLE quote_lines (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    quote_id    bigint NOT NULL REFERENCES quotes (id) ON DELETE CASCADE,
    position    integer NOT NULL,
    product_id  bigint NOT NULL REFERENCES products (id),
    unit_price  numeric(14, 2) NOT NULL CHECK (unit_price >= 0),
    discount    numeric(5, 4) NOT NULL DEFAULT 1 CHECK (discount > 0 AND discount <= 1),
    quantity    numeric(12, 2) NOT NULL CHECK (quantity > 0),
    subtotal    numeric(16, 2) NOT NULL,
    UNIQUE (quote_id, position)
);
CREATE INDEX quote_lines_product_idx ON quote_lines (product_id);

CREATE TABLE orders (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number                  text NOT NULL,
    customer_id             bigint NOT NULL REFERENCES customers (id),
    opportunity_id          bigint REFERENCES opportunities (id),
    quote_id                bigint REFERENCES quotes (id),
    sign_date               date,
    status                  text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'pending', 'approved', 'rejected')),
    total                   numeric(16, 2) NOT NULL DEFAULT 0,
    -- figures kept by the payment and invoice confirmations
    paid_amount             numeric(16, 2) NOT NULL DEFAULT 0,
    invoiced_amount         numeric(16, 2) NOT NULL DEFAULT 0,
    notes                   text NOT NULL DEFAULT '',
    approver_id             bigint REFERENCES employees (id),
    submitted_by            bigint REFERENCES employees (id),
    submitted_at            timestamptz,
    decided_by              bigint REFERENCES employees (id),
    decided_at              timestamptz,
    decision_comment        text NOT NULL DEFAULT '',
    owner_id                bigint REFERENCES employees (id),
    department_id           bigint REFERENCES departments (id),
    created_by              bigint NOT NULL REFERENCES employees (id),
    customer_owner_id       bigint REFERENCES employees (id),
    customer_department_id  bigint REFERENCES departments (id),
    is_demo                 boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orders_number_key UNIQUE (number),
    CONSTRAINT orders_paid_within_total CHECK (paid_amount <= total AND invoiced_amount <= total)
);
ALTER TABLE quotes ADD CONSTRAINT quotes_order_fk FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE SET NULL;
CREATE INDEX orders_customer_idx ON orders (customer_id, created_at DESC);
CREATE INDEX orders_opportunity_idx ON orders (opportunity_id);
CREATE INDEX orders_quote_idx ON orders (quote_id);
CREATE INDEX orders_owner_idx ON orders (owner_id, created_at DESC);
CREATE INDEX orders_created_by_idx ON orders (created_by);
CREATE INDEX orders_department_idx ON orders (department_id, created_at DESC);
CREATE INDEX orders_customer_owner_idx ON orders (customer_owner_id);
CREATE INDEX orders_customer_department_idx ON orders (customer_department_id);
CREATE INDEX orders_approver_idx ON orders (approver_id, status);
CREATE INDEX orders_pending_idx ON orders (submitted_at) WHERE status = 'pending';
CREATE INDEX orders_submitted_by_idx ON orders (submitted_by, submitted_at DESC);
CREATE INDEX orders_decided_by_idx ON orders (decided_by, decided_at DESC);
CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);

CREATE TABLE order_lines (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position    integer NOT NULL,
    product_id  bigint NOT NULL REFERENCES products (id),
    unit_price  numeric(14, 2) NOT NULL CHECK (unit_price >= 0),
    discount    numeric(5, 4) NOT NULL DEFAULT 1 CHECK (discount > 0 AND discount <= 1),
    quantity    numeric(12, 2) NOT NULL CHECK (quantity > 0),
    subtotal    numeric(16, 2) NOT NULL,
    UNIQUE (order_id, position)
);
CREATE INDEX order_lines_product_idx ON order_lines (product_id);

CREATE TABLE payments (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id                bigint NOT NULL REFERENCES orders (id),
    customer_id             bigint NOT NULL REFERENCES customers (id),
    amount                  numeric(14, 2) NOT NULL CHECK (amount > 0),
    paid_on                 date NOT NULL,
    method                  text NOT NULL DEFAULT '',
    notes                   text NOT NULL DEFAULT '',
    confirmed               boolean NOT NULL DEFAULT false,
    confirmed_by            bigint REFERENCES employees (id),
    confirmed_at            timestamptz,
    owner_id                bigint REFERENCES employees (id),
    department_id           bigint REFERENCES departments (id),
    created_by              bigint NOT NULL REFERENCES employees (id),
    customer_owner_id       bigint REFERENCES employees (id),
    customer_department_id  bigint REFERENCES departments (id),
    is_demo                 boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_order_idx ON payments (order_id);
CREATE INDEX payments_customer_idx ON payments (customer_id);
CREATE INDEX payments_owner_idx ON payments (owner_id, created_at DESC);
CREATE INDEX payments_created_by_idx ON payments (created_by);
CREATE INDEX payments_department_idx ON payments (department_id, created_at DESC);
CREATE INDEX payments_customer_owner_idx ON payments (customer_owner_id);
CREATE INDEX payments_customer_department_idx ON payments (customer_department_id);
CREATE INDEX payments_unconfirmed_idx ON payments (created_at DESC) WHERE NOT confirmed;
CREATE INDEX payments_created_idx ON payments (created_at DESC, id DESC);

CREATE TABLE invoices (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id                bigint NOT NULL REFERENCES orders (id),
    customer_id             bigint NOT NULL REFERENCES customers (id),
    amount                  numeric(14, 2) NOT NULL CHECK (amount > 0),
    invoice_no              text NOT NULL DEFAULT '',
    invoice_type            text NOT NULL DEFAULT 'normal' CHECK (invoice_type IN ('normal', 'special')),
    issued_on               date NOT NULL,
    notes                   text NOT NULL DEFAULT '',
    confirmed               boolean NOT NULL DEFAULT false,
    confirmed_by            bigint REFERENCES employees (id),
    confirmed_at            timestamptz,
    owner_id                bigint REFERENCES employees (id),
    department_id           bigint REFERENCES departments (id),
    created_by              bigint NOT NULL REFERENCES employees (id),
    customer_owner_id       bigint REFERENCES employees (id),
    customer_department_id  bigint REFERENCES departments (id),
    is_demo                 boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invoices_order_idx ON invoices (order_id);
CREATE INDEX invoices_customer_idx ON invoices (customer_id);
CREATE INDEX invoices_owner_idx ON invoices (owner_id, created_at DESC);
CREATE INDEX invoices_created_by_idx ON invoices (created_by);
CREATE INDEX invoices_department_idx ON invoices (department_id, created_at DESC);
CREATE INDEX invoices_customer_owner_idx ON invoices (customer_owner_id);
CREATE INDEX invoices_customer_department_idx ON invoices (customer_department_id);
CREATE INDEX invoices_unconfirmed_idx ON invoices (created_at DESC) WHERE NOT confirmed;
CREATE INDEX invoices_created_idx ON invoices (created_at DESC, id DESC);

-- +goose Down
DROP TABLE invoices;
DROP TABLE payments;
DROP TABLE order_lines;
ALTER TABLE quotes DROP CONSTRAINT quotes_order_fk;
DROP TABLE orders;
DROP TABLE quote_lines;
DROP TABLE quotes;
ALTER TABLE follow_ups DROP COLUMN opportunity_id;
DROP TABLE opportunities;
DROP TABLE doc_counters;
DROP TABLE products;
