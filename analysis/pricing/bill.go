package pricing

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Billing says how usage becomes money.
type Billing string

const (
	// BillingList prices every unit at the first-tier price with no free
	// tier: the gross list cost, comparable across windows of any length.
	BillingList Billing = "list"
	// BillingEffective applies monthly volume tiers, free tiers and
	// subscriptions per account and calendar month, as the bill does.
	BillingEffective Billing = "effective"
)

// ErrBadUsage marks usage that cannot be billed as given (a usage outside
// its period's month, an unknown billing mode): the caller's input, a 4xx.
var ErrBadUsage = errors.New("pricing: bad usage")

// ParseBilling reads a billing=… value; empty is list, today's default.
func ParseBilling(s string) (Billing, error) {
	switch Billing(s) {
	case "", BillingList:
		return BillingList, nil
	case BillingEffective:
		return BillingEffective, nil
	}
	return "", fmt.Errorf("%w: billing %q is not list or effective", ErrBadUsage, s)
}

// Period is one account's usage in one calendar month. Prior is the
// month-to-date usage before the window: it moves the volume-tier position
// and uses up free tier, but is not charged — so a window inside a month is
// priced where the month's bill would price it.
type Period struct {
	Account string
	// Month is any instant in the month (UTC).
	Month time.Time
	Prior []Usage
	Usage []Usage
}

// LineItem is one line of a bill: an amount of one meter in one region.
// A free-tier credit is negative.
type LineItem struct {
	Line     Line
	Meter    string
	Region   string
	Unit     string
	Quantity decimal.Decimal
	Amount   decimal.Decimal
}

// Bill is what one account owes for one month's window.
type Bill struct {
	Account string
	Month   string // YYYY-MM
	Lines   []LineItem
	Total   decimal.Decimal
	// Notes say what was assumed or left unpriced, once each.
	Notes []string
}

// monthState is where an account stands in a month: volume consumed per
// (region, meter) and free allowance left per (allowance, region).
type monthState struct {
	volume   map[string]decimal.Decimal
	freeUsed map[string]decimal.Decimal
}

// Bill prices periods: each account's months in month order, the lines of
// each exact. List billing ignores tiers, free tiers and subscriptions;
// Prior usage then changes nothing.
func (c *Catalog) Bill(billing Billing, periods []Period) ([]Bill, error) {
	if billing != BillingList && billing != BillingEffective {
		return nil, fmt.Errorf("%w: billing %q is not list or effective", ErrBadUsage, billing)
	}
	sorted := slices.Clone(periods)
	slices.SortStableFunc(sorted, func(a, b Period) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), a.Month.UTC().Compare(b.Month.UTC()))
	})
	bills := make([]Bill, 0, len(sorted))
	for _, p := range sorted {
		b, err := c.billPeriod(billing, p)
		if err != nil {
			return nil, err
		}
		bills = append(bills, b)
	}
	return bills, nil
}

func (c *Catalog) billPeriod(billing Billing, p Period) (Bill, error) {
	if p.Month.IsZero() {
		return Bill{}, fmt.Errorf("%w: period of account %q has no month", ErrBadUsage, p.Account)
	}
	m := p.Month.UTC()
	monthStart := time.Date(m.Year(), m.Month(), 1, 0, 0, 0, 0, time.UTC)
	b := Bill{Account: p.Account, Month: monthStart.Format("2006-01"), Total: decimal.Zero}
	st := monthState{volume: map[string]decimal.Decimal{}, freeUsed: map[string]decimal.Decimal{}}
	lines := map[string]*LineItem{}
	notes := map[string]bool{}
	charged := false
	for i, u := range slices.Concat(p.Prior, p.Usage) {
		charge := i >= len(p.Prior)
		if u.At.IsZero() {
			u.At = monthStart
		} else if at := u.At.UTC(); at.Before(monthStart) || !at.Before(monthStart.AddDate(0, 1, 0)) {
			return Bill{}, fmt.Errorf("%w: usage at %s is outside period %s", ErrBadUsage, at.Format(time.RFC3339), b.Month)
		}
		priced, err := c.priceUsage(billing, u, &st, lines, notes, charge)
		if err != nil {
			return Bill{}, err
		}
		if priced && !charge {
			charged = true // a prior window of the month already paid the subscription
		}
		if priced && charge && !charged && billing == BillingEffective {
			charged = true
			if err := c.chargeMonthly(u, lines); err != nil {
				return Bill{}, err
			}
		}
	}
	for _, l := range lines {
		b.Lines = append(b.Lines, *l)
		b.Total = b.Total.Add(l.Amount)
	}
	b.Lines = sortLines(b.Lines)
	b.Notes = sortedKeys(notes)
	return b, nil
}

// chargeMonthly adds the model's subscription, if it has one, once.
func (c *Catalog) chargeMonthly(u Usage, lines map[string]*LineItem) error {
	meter := models[c.Model].monthly
	if meter == "" {
		return nil
	}
	e, ok := c.entry(meter, u.Region, u.At.UTC().Format(time.DateOnly))
	if !ok {
		return nil
	}
	amount, err := c.cost(e, decimal.Zero, decimal.NewFromInt(1), false)
	if err != nil {
		return err
	}
	addLine(lines, LineItem{Line: LineSubscription, Meter: meter, Region: u.Region, Unit: e.Unit, Quantity: decimal.NewFromInt(1), Amount: amount})
	return nil
}

func sortLines(lines []LineItem) []LineItem {
	slices.SortFunc(lines, func(x, y LineItem) int {
		return cmp.Or(cmp.Compare(slices.Index(lineOrder, x.Line), slices.Index(lineOrder, y.Line)),
			cmp.Compare(x.Meter, y.Meter), cmp.Compare(x.Region, y.Region))
	})
	return lines
}

func addLine(lines map[string]*LineItem, l LineItem) {
	key := string(l.Line) + "\x00" + l.Meter + "\x00" + l.Region
	if have, ok := lines[key]; ok {
		have.Quantity = have.Quantity.Add(l.Quantity)
		have.Amount = have.Amount.Add(l.Amount)
		return
	}
	lines[key] = &l
}

// priceUsage turns u into meter quantities and prices them at u's date,
// advancing the month's state; when charge is false (prior usage) only the
// state moves. It reports whether anything was priced.
func (c *Catalog) priceUsage(billing Billing, u Usage, st *monthState, lines map[string]*LineItem, notes map[string]bool, charge bool) (bool, error) {
	note := func(s string) {
		if charge {
			notes[s] = true
		}
	}
	if u.Provider != c.Provider {
		note(fmt.Sprintf("no %s price for provider %s", c.Name, orUnknown(u.Provider)))
		return false, nil
	}
	if !c.knowsRegion(u.Region) {
		note(fmt.Sprintf("region %s not in catalog %s", orUnknown(u.Region), c.Name))
		return false, nil
	}
	m := models[c.Model]
	if u.Architecture == "" && m.defaultArch != "" {
		u.Architecture = m.defaultArch
		note(fmt.Sprintf("architecture unknown, priced as %s (the provider's default)", m.defaultArch))
	}
	day := ""
	if !u.At.IsZero() {
		day = u.At.UTC().Format(time.DateOnly)
	}
	qs, qnotes := m.quantities(c, u, day)
	for _, n := range qnotes {
		note(n)
	}
	priced := false
	for _, q := range qs {
		e, ok := c.entry(q.meter, u.Region, day)
		if !ok {
			note(fmt.Sprintf("no %s price for %s in %s on %s", c.Name, q.meter, u.Region, orUnknown(day)))
			continue
		}
		priced = true
		if q.amount.IsZero() && q.line != LineRequests {
			continue // an empty init or storage line is noise
		}
		effective := billing == BillingEffective
		volKey := u.Region + "\x00" + q.meter
		pos := st.volume[volKey]
		if !effective {
			pos = decimal.Zero
		}
		gross, err := c.cost(e, pos, q.amount, effective)
		if err != nil {
			return false, err
		}
		credit, free := decimal.Zero, decimal.Zero
		if effective {
			if ai, ok := c.allowance(q.meter, day); ok {
				credit, free, err = c.useAllowance(ai, e, u.Region, day, pos, q.amount, st)
				if err != nil {
					return false, err
				}
			}
			st.volume[volKey] = pos.Add(q.amount)
		}
		if !charge {
			continue
		}
		addLine(lines, LineItem{Line: q.line, Meter: q.meter, Region: u.Region, Unit: e.Unit, Quantity: q.amount, Amount: gross})
		if !free.IsZero() {
			addLine(lines, LineItem{Line: LineFreeTier, Meter: q.meter, Region: u.Region, Unit: e.Unit, Quantity: free, Amount: credit.Neg()})
		}
	}
	return priced, nil
}

// useAllowance takes what is left of free allowance ai for amount units
// starting at volume pos, and returns the credit and the units it covers.
// Free units are the month's first ones, so they are valued at the tier
// they fall in — unless the allowance is valued at a region group's
// first-tier price.
func (c *Catalog) useAllowance(ai int, e *PriceEntry, region, day string, pos, amount decimal.Decimal, st *monthState) (credit, free decimal.Decimal, err error) {
	a := c.FreeTier[ai]
	key := fmt.Sprint(ai)
	if a.Scope == "region" {
		key += "\x00" + region
	}
	total, err := parsePrice(a.Amount)
	if err != nil {
		return decimal.Zero, decimal.Zero, fmt.Errorf("pricing: catalog %s: free_tier[%d].amount: %w", c.Name, ai, err)
	}
	left := total.Sub(st.freeUsed[key])
	if !left.IsPositive() {
		return decimal.Zero, decimal.Zero, nil
	}
	free = decimal.Min(left, amount)
	st.freeUsed[key] = st.freeUsed[key].Add(free)
	if a.ValuedAt != "" {
		ve, ok := c.entryInGroup(e.Meter, a.ValuedAt, day)
		if !ok {
			return decimal.Zero, decimal.Zero, fmt.Errorf("pricing: catalog %s: free_tier[%d] valued at %s, which has no %s price", c.Name, ai, a.ValuedAt, e.Meter)
		}
		credit, err = c.cost(ve, decimal.Zero, free, false)
	} else {
		credit, err = c.cost(e, pos, free, true)
	}
	return credit, free, err
}

// cost prices amount units of e's meter starting at monthly volume pos:
// across the tiers when tiered, else at the first-tier price.
func (c *Catalog) cost(e *PriceEntry, pos, amount decimal.Decimal, tiered bool) (decimal.Decimal, error) {
	shift, err := parsePer(e.Per)
	if err != nil {
		return decimal.Zero, fmt.Errorf("pricing: catalog %s: %s per: %w", c.Name, e.Meter, err)
	}
	if e.Price != "" {
		p, err := parsePrice(e.Price)
		if err != nil {
			return decimal.Zero, fmt.Errorf("pricing: catalog %s: %s price: %w", c.Name, e.Meter, err)
		}
		return amount.Mul(p).Shift(-shift), nil
	}
	total := decimal.Zero
	start, end := pos, pos.Add(amount)
	lower := decimal.Zero
	for i, t := range e.Tiers {
		p, err := parsePrice(t.Price)
		if err != nil {
			return decimal.Zero, fmt.Errorf("pricing: catalog %s: %s tiers[%d].price: %w", c.Name, e.Meter, i, err)
		}
		if !tiered {
			return amount.Mul(p).Shift(-shift), nil
		}
		upper := end
		if t.UpTo != "" {
			if upper, err = parsePrice(t.UpTo); err != nil {
				return decimal.Zero, fmt.Errorf("pricing: catalog %s: %s tiers[%d].up_to: %w", c.Name, e.Meter, i, err)
			}
		}
		// The part of [start, end) inside this tier's [lower, upper).
		from, to := decimal.Max(start, lower), decimal.Min(end, upper)
		if to.GreaterThan(from) {
			total = total.Add(to.Sub(from).Mul(p))
		}
		lower = upper
		if !lower.LessThan(end) {
			break
		}
	}
	return total.Shift(-shift), nil
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// String renders a bill for test failures and logs.
func (b Bill) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %s total %s\n", b.Account, b.Month, b.Total)
	for _, l := range b.Lines {
		fmt.Fprintf(&sb, "  %-24s %-28s %-14s %s %s = %s\n", l.Line, l.Meter, l.Region, l.Quantity, l.Unit, l.Amount)
	}
	return sb.String()
}
