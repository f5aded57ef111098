package crm

import (
	"net/mail"
	"time"

	"github.com/shopspring/decimal"
)

// Inputs are the editable parts of the acquisition records. The server
// parses forms into them (reporting unparseable numbers and dates as field
// errors); Validate trims text and checks what the domain requires.

// CampaignInput is the editable part of a campaign.
type CampaignInput struct {
	Name        string
	TypeID      int64
	Status      CampaignStatus
	StartDate   *time.Time
	EndDate     *time.Time
	Budget      decimal.Decimal
	ActualCost  decimal.Decimal
	Description string
	OwnerID     int64 // 0: the creator
}

// Validate trims and checks the input.
func (in *CampaignInput) Validate() error {
	var v Invalid
	textField(&v, "name", &in.Name, true, 200)
	textField(&v, "description", &in.Description, false, 5000)
	if in.Status == "" {
		in.Status = CampaignPlanned
	}
	valid := false
	for _, s := range CampaignStatuses {
		valid = valid || s == in.Status
	}
	if !valid {
		v.Add("status", "error.choose")
	}
	if in.StartDate != nil && in.EndDate != nil && in.EndDate.Before(*in.StartDate) {
		v.Add("end_date", "error.end_before_start")
	}
	return v.Err()
}

// LeadInput is the editable part of a lead.
type LeadInput struct {
	Name           string
	Company        string
	Title          string
	Phone          string
	Email          string
	SourceID       int64
	CampaignID     int64
	Status         LeadStatus // new, following or invalid; converted only by converting
	Notes          string
	NextFollowUpAt *time.Time
}

// Validate trims and checks the input.
func (in *LeadInput) Validate() error {
	var v Invalid
	textField(&v, "name", &in.Name, true, 100)
	textField(&v, "company", &in.Company, false, 200)
	textField(&v, "title", &in.Title, false, 100)
	textField(&v, "phone", &in.Phone, false, 40)
	textField(&v, "notes", &in.Notes, false, 5000)
	validEmail(&v, &in.Email)
	if in.Status == "" {
		in.Status = LeadNew
	}
	if in.Status != LeadNew && in.Status != LeadFollowing && in.Status != LeadInvalid {
		v.Add("status", "error.choose")
	}
	return v.Err()
}

// CustomerInput is the editable part of a customer.
type CustomerInput struct {
	Name       string
	LevelID    int64
	IndustryID int64
	SourceID   int64
	CampaignID int64
	Phone      string
	Address    string
	Notes      string
}

// Validate trims and checks the input.
func (in *CustomerInput) Validate() error {
	var v Invalid
	textField(&v, "name", &in.Name, true, 200)
	textField(&v, "phone", &in.Phone, false, 40)
	textField(&v, "address", &in.Address, false, 500)
	textField(&v, "notes", &in.Notes, false, 5000)
	return v.Err()
}

// ContactInput is the editable part of a contact.
type ContactInput struct {
	CustomerID int64
	Name       string
	Title      string
	Phone      string
	Email      string
	Notes      string
	IsPrimary  bool
}

// Validate trims and checks the input.
func (in *ContactInput) Validate() error {
	var v Invalid
	if in.CustomerID == 0 {
		v.Add("customer_id", "error.required")
	}
	textField(&v, "name", &in.Name, true, 100)
	textField(&v, "title", &in.Title, false, 100)
	textField(&v, "phone", &in.Phone, false, 40)
	textField(&v, "notes", &in.Notes, false, 5000)
	validEmail(&v, &in.Email)
	return v.Err()
}

// FollowUpInput is the editable part of a follow-up. Exactly one of LeadID
// and CustomerID is set.
type FollowUpInput struct {
	LeadID     int64
	CustomerID int64
	MethodID   int64
	Content    string
	FollowedAt time.Time
	NextAt     *time.Time
}

// Validate trims and checks the input.
func (in *FollowUpInput) Validate() error {
	var v Invalid
	if (in.LeadID == 0) == (in.CustomerID == 0) {
		v.Add("parent", "error.required")
	}
	textField(&v, "content", &in.Content, true, 5000)
	if in.FollowedAt.IsZero() {
		in.FollowedAt = time.Now()
	}
	if in.NextAt != nil && in.NextAt.Before(in.FollowedAt) {
		v.Add("next_at", "error.next_before_followed")
	}
	return v.Err()
}

func validEmail(v *Invalid, s *string) {
	*s = CleanText(*s)
	if *s == "" {
		return
	}
	if a, err := mail.ParseAddress(*s); err != nil || a.Address != *s || len(*s) > 200 {
		v.Add("email", "error.email_format")
	}
}
