package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
)

// seedAcquisition adds demo campaigns, leads (owned, in pools, converted),
// customers with contacts, collaborators and follow-ups. Deterministic, so
// that screenshots and demos look the same every time.
func seedAcquisition(ctx context.Context, tx pgx.Tx, users, depts map[string]int64) error {
	rnd := rand.New(rand.NewPCG(2026, 11))
	opts := map[string][]int64{}
	rows, err := tx.Query(ctx, `SELECT kind, id FROM options ORDER BY kind, position`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k string
		var id int64
		if err := rows.Scan(&k, &id); err != nil {
			return err
		}
		opts[k] = append(opts[k], id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	pick := func(k string) int64 { return opts[k][rnd.IntN(len(opts[k]))] }
	now := time.Now().In(time.UTC).Truncate(time.Minute)
	daysAgo := func(d int) time.Time {
		return now.Add(-time.Duration(d)*24*time.Hour - time.Duration(rnd.IntN(600))*time.Minute)
	}

	// Campaigns, owned by marketing.
	type campaign struct {
		name, status string
		budget, cost int
		start        int
	}
	campaigns := []campaign{
		{"2026 上海工业博览会", "finished", 120000, 98000, 200},
		{"春季线上推广", "finished", 50000, 46500, 150},
		{"智能制造研讨会", "active", 30000, 12000, 30},
		{"双十一促销活动", "planned", 80000, 0, -5},
	}
	var campaignIDs []int64
	for _, c := range campaigns {
		var id int64
		start := now.AddDate(0, 0, -c.start)
		if err := tx.QueryRow(ctx, `INSERT INTO campaigns (name, type_id, status, start_date, end_date, budget, actual_cost,
			description, owner_id, department_id, created_by, is_demo, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9, true, $11) RETURNING id`,
			c.name, pick("campaign_type"), c.status, start, start.AddDate(0, 0, 20), c.budget, c.cost,
			"演示活动："+c.name, users["marketing"], depts["市场部"], start.AddDate(0, 0, -10)).Scan(&id); err != nil {
			return fmt.Errorf("demo campaign: %w", err)
		}
		campaignIDs = append(campaignIDs, id)
	}

	surnames := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
	given := []string{"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "晨", "浩然", "思远", "雨涵", "子轩"}
	cities := []string{"上海", "北京", "深圳", "杭州", "苏州", "南京", "成都", "武汉", "广州", "天津"}
	trades := []string{"精密机械", "智能科技", "电子", "新材料", "医疗器械", "教育科技", "物流", "食品", "信息技术", "环保设备"}
	kinds := []string{"有限公司", "股份有限公司", "集团有限公司"}
	titles := []string{"采购经理", "总经理", "技术总监", "行政主管", "副总裁", "项目经理"}
	person := func() string { return string(surnames[rnd.IntN(len(surnames))]) + given[rnd.IntN(len(given))] }
	company := func() string {
		return cities[rnd.IntN(len(cities))] + trades[rnd.IntN(len(trades))] + kinds[rnd.IntN(len(kinds))]
	}
	phone := func() string { return fmt.Sprintf("1%d%09d", 3+rnd.IntN(7), rnd.IntN(1_000_000_000)) }
	contents := []string{"电话沟通了采购需求，对方预计下月启动招标。", "微信发送了产品资料和报价区间，客户表示会内部讨论。",
		"上门拜访，见到了技术负责人，现场演示了产品。", "客户反馈预算有限，约定两周后再跟进。", "参加了客户组织的需求评审会议。",
		"邮件确认了样品寄送地址，样品已发出。"}

	// Reps of the sales departments and their departments.
	type seller struct {
		user string
		dept string
	}
	sellers := []seller{{"rep1", "销售一部"}, {"rep2", "销售一部"}, {"rep3", "销售二部"}, {"manager1", "销售一部"}, {"manager", "销售部"}}

	// The follow-ups move their parents as recording them does, once all
	// are in (touchFollowedUp).
	var followUps []int64
	followUp := func(leadID, customerID, author, authorDept, parentOwner, parentDept int64, at time.Time) error {
		var next *time.Time
		if rnd.IntN(2) == 0 {
			n := at.Add(time.Duration(3+rnd.IntN(10)) * 24 * time.Hour)
			next = &n
		}
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO follow_ups (lead_id, customer_id, method_id, content, followed_at, next_at, owner_id,
			department_id, created_by, customer_owner_id, customer_department_id, is_demo, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7, $9, $10, true, $5) RETURNING id`,
			nullID(leadID), nullID(customerID), pick("follow_up_method"), contents[rnd.IntN(len(contents))], at, next,
			author, nullID(authorDept), nullID(parentOwner), nullID(parentDept)).Scan(&id)
		followUps = append(followUps, id)
		return err
	}

	// Leads: 36, most owned by sellers, some in the pools, some from campaigns.
	for i := 0; i < 36; i++ {
		var owner, dept int64
		switch {
		case i%6 == 5: // in a department's pool
			owner, dept = 0, depts[[]string{"销售一部", "销售二部"}[i%2]]
		case i%9 == 0: // created by marketing, not assigned yet
			owner, dept = users["marketing"], depts["市场部"]
		default:
			s := sellers[i%len(sellers)]
			owner, dept = users[s.user], depts[s.dept]
		}
		creator := owner
		if creator == 0 {
			creator = users["marketing"]
		}
		var campaignID int64
		if i%3 == 0 {
			campaignID = campaignIDs[i%len(campaignIDs)]
		}
		status := []string{"new", "following", "following", "invalid", "new"}[i%5]
		created := daysAgo(3 + rnd.IntN(120))
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO leads (name, company, title, phone, email, source_id, campaign_id, status, notes,
			owner_id, department_id, created_by, is_demo, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, true, $13, $13) RETURNING id`,
			person(), company(), titles[rnd.IntN(len(titles))], phone(), fmt.Sprintf("lead%d@demo.example", i+1),
			pick("source"), nullID(campaignID), status, "", nullID(owner), nullID(dept), creator, created).Scan(&id); err != nil {
			return fmt.Errorf("demo lead: %w", err)
		}
		if status == "following" && owner != 0 {
			for k := 0; k < 1+rnd.IntN(3); k++ {
				if err := followUp(id, 0, owner, dept, owner, dept, created.Add(time.Duration(k+1)*48*time.Hour)); err != nil {
					return err
				}
			}
		}
	}

	// Customers: 24, some converted from new leads, with contacts,
	// follow-ups and a few collaborators.
	for i := 0; i < 24; i++ {
		var owner, dept int64
		if i%7 == 6 {
			owner, dept = 0, depts[[]string{"销售一部", "销售二部"}[i%2]]
		} else {
			s := sellers[i%len(sellers)]
			owner, dept = users[s.user], depts[s.dept]
		}
		creator := owner
		if creator == 0 {
			creator = users["manager"]
		}
		var campaignID int64
		if i%4 == 0 {
			campaignID = campaignIDs[i%len(campaignIDs)]
		}
		name, contact, ph := company(), person(), phone()
		created := daysAgo(10 + rnd.IntN(200))
		var leadID int64
		if i%3 == 0 && owner != 0 {
			if err := tx.QueryRow(ctx, `INSERT INTO leads (name, company, phone, source_id, campaign_id, status, owner_id,
				department_id, created_by, is_demo, created_at, updated_at, converted_at)
				VALUES ($1, $2, $3, $4, $5, 'new', $6, $7, $6, true, $8, $8, $8) RETURNING id`,
				contact, name, ph, pick("source"), nullID(campaignID), owner, dept, created.Add(-72*time.Hour)).Scan(&leadID); err != nil {
				return fmt.Errorf("demo converted lead: %w", err)
			}
		}
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO customers (name, level_id, industry_id, source_id, campaign_id, lead_id, phone,
			address, owner_id, department_id, created_by, is_demo, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, true, $12, $12) RETURNING id`,
			name, pick("customer_level"), pick("industry"), pick("source"), nullID(campaignID), nullID(leadID), ph,
			cities[rnd.IntN(len(cities))]+"市"+[]string{"浦东新区", "高新区", "经济开发区", "工业园区"}[rnd.IntN(4)]+fmt.Sprintf("%d号", 1+rnd.IntN(999)),
			nullID(owner), nullID(dept), creator, created).Scan(&id); err != nil {
			return fmt.Errorf("demo customer: %w", err)
		}
		if leadID != 0 {
			if _, err := tx.Exec(ctx, `UPDATE leads SET status = 'converted', customer_id = $2 WHERE id = $1`, leadID, id); err != nil {
				return err
			}
		}
		for k := 0; k < 1+rnd.IntN(3); k++ {
			n := contact
			if k > 0 {
				n = person()
			}
			if _, err := tx.Exec(ctx, `INSERT INTO contacts (customer_id, name, title, phone, email, is_primary, owner_id, department_id,
				created_by, customer_owner_id, customer_department_id, is_demo, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $7, $8, true, $10)`,
				id, n, titles[rnd.IntN(len(titles))], phone(), fmt.Sprintf("c%d.%d@demo.example", i+1, k+1), k == 0,
				nullID(owner), nullID(dept), creator, created); err != nil {
				return fmt.Errorf("demo contact: %w", err)
			}
		}
		if owner != 0 {
			for k := 0; k < rnd.IntN(5); k++ {
				if err := followUp(0, id, owner, dept, owner, dept, created.Add(time.Duration(k+1)*96*time.Hour)); err != nil {
					return err
				}
			}
		}
		if i%5 == 1 && owner != users["rep3"] {
			if _, err := tx.Exec(ctx, `INSERT INTO customer_collaborators (customer_id, employee_id, added_by) VALUES ($1, $2, $3)`,
				id, users["rep3"], creator); err != nil {
				return err
			}
		}
	}
	return touchFollowedUp(ctx, tx, followUps)
}
