package crm

import (
	"time"

	"github.com/shopspring/decimal"
)

// The dashboard's read models (仪表盘, issue 6): what storage computes and
// the dashboard and notification pages show.

// DayStart is the first moment of t's day in Zone.
func DayStart(t time.Time) time.Time {
	t = t.In(Zone)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, Zone)
}

// DashboardFilter says what the dashboard counts. From and To are the
// period's first and last day (midnight in Zone); Now is the moment the
// balances and reminders are taken at.
type DashboardFilter struct {
	From, To     time.Time
	DepartmentID int64 // 0: every department; otherwise records of exactly this department (as the lists' filter)
	OwnerID      int64 // 0: everyone; otherwise records this employee owns (负责人)
	Now          time.Time
	// OwnReminders narrows the follow-up reminders to the actor's own leads
	// and customers (reps, marketing); others see those of their view.
	OwnReminders bool
	Sections     map[DashboardSection]bool // the sections to compute
}

// Today is the first moment of f.Now's day.
func (f DashboardFilter) Today() time.Time { return DayStart(f.Now) }

// Week returns the first day (Monday) and the last day (Sunday) of f.Now's week.
func (f DashboardFilter) Week() (time.Time, time.Time) {
	today := f.Today()
	mon := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	return mon, mon.AddDate(0, 0, 6)
}

// TrendMonths returns the first days of the twelve months of the trend
// chart, the last of them the month of f.To.
func (f DashboardFilter) TrendMonths() []time.Time {
	last := time.Date(f.To.Year(), f.To.Month(), 1, 0, 0, 0, 0, Zone)
	out := make([]time.Time, 12)
	for i := range out {
		out[i] = last.AddDate(0, i-11, 0)
	}
	return out
}

// AgeBuckets are the receivables' ages in days since approval.
var AgeBuckets = []struct {
	Key      string
	Min, Max int // days; Max 0: no upper bound
}{{"0_30", 0, 30}, {"31_90", 31, 90}, {"over_90", 91, 0}}

// Figure is an amount with the number of records it sums.
type Figure struct {
	Amount decimal.Decimal
	Count  int
}

// MonthFigures is one month of the trend chart.
type MonthFigures struct {
	Month time.Time // its first day
	Deal  Figure    // approved orders decided in it
	Paid  Figure    // confirmed payments paid in it
}

// StageFigures is one stage of the funnel.
type StageFigures struct {
	Stage  OppStage
	Count  int
	Amount decimal.Decimal // Σ expected amount
}

// OptionCount is how many records carry one value of a value list (ID 0:
// none given).
type OptionCount struct {
	ID     int64
	Name   string
	NameEn string
	Count  int
}

// Label is the value's name in the given language ("" for none).
func (o OptionCount) Label(english bool) string {
	return Option{Name: o.Name, NameEn: o.NameEn}.Label(english)
}

// RankRow is one salesperson of the ranking.
type RankRow struct {
	EmployeeID int64
	Name       string
	Deal       Figure // approved orders they own, decided in the period
	Paid       Figure // confirmed payments they own, paid in the period
	FollowUps  int    // follow-ups they logged in the period
}

// Reminder is one lead or customer whose next follow-up is due.
type Reminder struct {
	Resource  Resource
	ID        int64
	Name      string
	OwnerName string
	NextAt    time.Time
}

// Reminders is a list of due follow-ups: the counts (capped like list
// totals) per kind, and the first few.
type Reminders struct {
	Leads     Total
	Customers Total
	Items     []Reminder
}

// ReminderItems is how many due leads and customers a reminder list shows.
const ReminderItems = 10

// AgeBucket is the receivables of one age.
type AgeBucket struct {
	Key string
	// From and To are the days of approval the bucket covers (nil: open).
	From, To *time.Time
	Figure
}

// Dashboard holds the figures of the sections that were asked for.
type Dashboard struct {
	Deal          Figure // 成交金额: approved orders decided in the period
	Paid          Figure // 回款金额: confirmed payments paid in the period
	Outstanding   Figure // 待回款金额: approved orders not paid in full, now
	NewLeads      int
	NewCustomers  int
	WeekFollowUps int // follow-ups logged this week
	Approvals     int // 待我审批
	Trend         []MonthFigures
	Funnel        []StageFigures // every stage, board order
	Sources       []OptionCount  // new leads by source, most first
	Levels        []OptionCount  // new customers by level, in the list's order
	Campaigns     []Campaign     // campaigns of the period, the best first, with figures over a's view
	CampaignTotal int            // campaigns of the period a may view
	Ranking       []RankRow
	DueToday      Reminders
	Overdue       Reminders
	Receivables   []AgeBucket // AgeBuckets order
}

// CampaignRows is how many campaigns the dashboard lists.
const CampaignRows = 10

// RankRows is how many salespeople the ranking lists.
const RankRows = 20
