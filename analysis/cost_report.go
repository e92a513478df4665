package analysis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/faasight/faasight/analysis/pricing"
)

// Group keys a cost report may group by. "attr.<key>" adds any span or
// resource attribute of the invocation span.
const (
	GroupFunction     = "function"
	GroupVersion      = "version"
	GroupProvider     = "provider"
	GroupRegion       = "region"
	GroupArchitecture = "architecture"
	GroupMemory       = "memory"
	GroupTrigger      = "trigger"
	GroupAccount      = "account"
	GroupDay          = "day"
	GroupMonth        = "month"
	GroupAttrPrefix   = "attr."
)

// GroupKeys are the fixed group keys, in the order the documentation lists them.
var GroupKeys = []string{GroupFunction, GroupVersion, GroupRegion, GroupArchitecture, GroupMemory,
	GroupTrigger, GroupDay, GroupMonth, GroupProvider, GroupAccount}

// DefaultGroupBy is the grouping of a report that names none: one item per
// priced configuration of a function, as the cost report always had.
var DefaultGroupBy = []string{GroupFunction, GroupProvider, GroupRegion, GroupArchitecture, GroupMemory}

// MaxAttrKeys is how many attributes one report may group by: the query
// has that many slots (queries/cost_rows_attrs.sql).
const MaxAttrKeys = 4

var attrKeyRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)

// ParseGroupBy reads a comma-separated group_by; empty is DefaultGroupBy.
// Every problem is reported at once.
func ParseGroupBy(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return slices.Clone(DefaultGroupBy), nil
	}
	var keys []string
	var errs []error
	attrs := 0
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		switch {
		case slices.Contains(keys, k):
			errs = append(errs, fmt.Errorf("%w: group_by: %q is named twice", ErrInvalid, k))
			continue
		case strings.HasPrefix(k, GroupAttrPrefix):
			if !attrKeyRE.MatchString(strings.TrimPrefix(k, GroupAttrPrefix)) {
				errs = append(errs, fmt.Errorf("%w: group_by: %q is not attr.<key> with a key of 1 to 128 of A-Z a-z 0-9 _ . -", ErrInvalid, k))
				continue
			}
			attrs++
		case !slices.Contains(GroupKeys, k):
			errs = append(errs, fmt.Errorf("%w: group_by: %q is not a group key; accepted: %s, attr.<key>", ErrInvalid, k, strings.Join(GroupKeys, ", ")))
			continue
		}
		keys = append(keys, k)
	}
	if attrs > MaxAttrKeys {
		errs = append(errs, fmt.Errorf("%w: group_by: %d attributes, at most %d", ErrInvalid, attrs, MaxAttrKeys))
	}
	return keys, errors.Join(errs...)
}

// CostQuery is what a cost report is asked for beyond its window.
type CostQuery struct {
	// GroupBy are validated group keys (ParseGroupBy); empty is DefaultGroupBy.
	GroupBy []string
	// Billing is list (the default when empty) or effective.
	Billing pricing.Billing
	// Catalog names the price list; empty is the Reports' own.
	Catalog string
}

// CostLine is one line of an item's cost: an amount of one meter.
type CostLine struct {
	Line     string  `json:"line"`
	Meter    string  `json:"meter"`
	Region   string  `json:"region"`
	Unit     string  `json:"unit"`
	Quantity float64 `json:"quantity"`
	// ListUSD is the line at list prices; USD is what the report's billing
	// charges for it (equal under billing=list; negative for a credit).
	ListUSD float64 `json:"list_usd"`
	USD     float64 `json:"usd"`
}

// LineTotals are amounts by line kind, in USD.
type LineTotals struct {
	Requests               float64 `json:"requests"`
	Compute                float64 `json:"compute"`
	Init                   float64 `json:"init"`
	ProvisionedConcurrency float64 `json:"provisioned_concurrency"`
	Storage                float64 `json:"storage"`
	Subscription           float64 `json:"subscription"`
	FreeTierCredit         float64 `json:"free_tier_credit"`
}

// CostProjection is the run-rate projection of the month the window ends in.
type CostProjection struct {
	Month             string  `json:"month"`
	MonthToDateUSD    float64 `json:"month_to_date_usd"`
	ProjectedTotalUSD float64 `json:"projected_total_usd"`
	// Basis states the method in words.
	Basis string `json:"basis"`
}

// grain is the finest grouping of cost_rows.sql (and activity.sql).
type grain struct {
	account, provider, region, arch, runtime, function, version, trigger string
	day                                                                  int64
	memoryMB                                                             uint32
}

// costRow is one row of cost_rows.sql. periods is how many instance
// activity periods billedMs is made of, when the catalog bills them
// (pricing.Usage.ActivePeriods).
type costRow struct {
	grain
	invocations, billedMs, initMs, periods uint64
	attrs                                  [MaxAttrKeys]string
}

func (r costRow) dayStart() time.Time { return time.Unix(r.day*86400, 0).UTC() }

func (r costRow) usage() pricing.Usage {
	return pricing.Usage{Provider: r.provider, Region: r.region, Architecture: r.arch, MemoryMB: r.memoryMB,
		Invocations: r.invocations, BilledDurationMs: r.billedMs, InitMs: r.initMs, ActivePeriods: r.periods, At: r.dayStart(),
		// Lambda billed the INIT of custom runtimes (provided.*) before it
		// billed every runtime's.
		OwnRuntime: strings.HasPrefix(r.runtime, "provided")}
}

// groupValue is the row's value of group key k (attribute keys by slot).
func (r costRow) groupValue(k string, attrSlot map[string]int) string {
	switch k {
	case GroupFunction:
		return r.function
	case GroupVersion:
		return r.version
	case GroupProvider:
		return r.provider
	case GroupRegion:
		return r.region
	case GroupArchitecture:
		return r.arch
	case GroupMemory:
		return strconv.FormatUint(uint64(r.memoryMB), 10)
	case GroupTrigger:
		return r.trigger
	case GroupAccount:
		return r.account
	case GroupDay:
		return r.dayStart().Format(time.DateOnly)
	case GroupMonth:
		return r.dayStart().Format("2006-01")
	}
	return r.attrs[attrSlot[k]]
}

// lineKey identifies a bill line: kind, meter, region.
type lineKey struct{ line, meter, region string }

// exactLine is a CostLine before rounding to float.
type exactLine struct {
	unit                   string
	quantity, list, amount decimal.Decimal
}

// pricedRow is a row with its list price and, once billed, its charges.
type pricedRow struct {
	row       costRow
	usage     pricing.Usage
	gbSeconds decimal.Decimal
	note      string
	lines     map[lineKey]*exactLine
}

// CostReport prices the window's usage grouped as q asks, at list or
// effective prices, with line items and a run-rate projection of the month
// the window ends in.
//
// Effective billing bills each account's calendar months with pricing.Bill,
// the month-to-date usage before the window as Prior. A bill line (say,
// the month's duration GB-s in us-east-1 with its tier mix, or the free
// tier credit) is shared among the groups in proportion to the quantity
// each used of it: every group pays the month's average effective price,
// whatever the order its invocations came in.
func (s *Reports) CostReport(ctx context.Context, r Range, q CostQuery) (CostReport, error) {
	rep := CostReport{From: r.From.UTC(), To: r.To.UTC(), Items: []CostItem{}}
	var errs []error
	if err := checkRange(r); err != nil {
		errs = append(errs, err)
	}
	if len(q.GroupBy) == 0 {
		q.GroupBy = slices.Clone(DefaultGroupBy)
	} else if _, err := ParseGroupBy(strings.Join(q.GroupBy, ",")); err != nil {
		errs = append(errs, err)
	}
	billing, err := pricing.ParseBilling(string(q.Billing))
	if err != nil {
		errs = append(errs, fmt.Errorf("%w: %v", ErrInvalid, err))
	}
	catalog, err := s.catalogNamed(q.Catalog)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return rep, err
	}
	rep.Currency = catalog.Currency
	rep.Catalog = CatalogRef{Name: catalog.Name, EffectiveDate: catalog.EffectiveDate, Source: catalog.Source}
	rep.Billing, rep.GroupBy = string(billing), q.GroupBy

	var attrKeys []string
	attrSlot := map[string]int{}
	for _, k := range q.GroupBy {
		if strings.HasPrefix(k, GroupAttrPrefix) {
			attrSlot[k] = len(attrKeys)
			attrKeys = append(attrKeys, strings.TrimPrefix(k, GroupAttrPrefix))
		}
	}
	rows, err := s.costRows(ctx, r, catalog, attrKeys)
	if err != nil {
		return rep, err
	}
	priced := make([]*pricedRow, 0, len(rows))
	for _, row := range rows {
		p, err := priceRow(catalog, row)
		if err != nil {
			return rep, err
		}
		priced = append(priced, p)
	}
	// The month-to-date usage before the window: effective billing starts
	// the window's first month from it, and the projection counts it when
	// the window ends in the month it starts in.
	monthStart := startOfMonth(r.From)
	sameMonth := startOfMonth(r.To.Add(-time.Nanosecond)).Equal(monthStart)
	var prior []costRow
	if r.From.After(monthStart) && (billing == pricing.BillingEffective || sameMonth) {
		if prior, err = s.costRows(ctx, Range{Tenant: r.Tenant, From: monthStart, To: r.From}, catalog, nil); err != nil {
			return rep, err
		}
	}
	var notes []string
	if billing == pricing.BillingEffective {
		if notes, err = billEffective(catalog, priced, prior); err != nil {
			return rep, err
		}
		notes = append(notes, "billing=effective: tiers and free tiers apply per account and calendar month, the month's usage before the window counting towards them; each bill line is shared among the groups in proportion to the quantity each used, so every group pays the month's average effective price.",
			"Free tiers are account-wide; faasight sees only this tenant's usage of an account.")
	}
	rep.Items, rep.TotalUSD, rep.LineUSD = groupItems(priced, q.GroupBy, attrSlot)
	if !sameMonth {
		prior = nil
	}
	proj, err := project(catalog, billing, r, rows, prior)
	if err != nil {
		return rep, err
	}
	rep.Projection = &proj
	rep.Notes = append([]string{}, notes...)
	return rep, nil
}

// catalogNamed is the catalog called name: the Reports' own for "" or its
// name, else an embedded one.
func (s *Reports) catalogNamed(name string) (*pricing.Catalog, error) {
	if name == "" || name == s.catalog.Name {
		return s.catalog, nil
	}
	all, err := s.catalogs()
	if err != nil {
		return nil, err
	}
	if c, ok := all[name]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("%w: catalog: no catalog %q; valid: %s", ErrInvalid, name, strings.Join(slices.Sorted(maps.Keys(all)), ", "))
}

// CatalogNames lists the catalogs a report may name.
func (s *Reports) CatalogNames() ([]string, error) {
	all, err := s.catalogs()
	if err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(all)), nil
}

// costRows measures billed usage per cost_rows.sql's grain, each
// invocation's duration rounded by c's rule, with attrKeys' values as
// further columns.
func (s *Reports) costRows(ctx context.Context, r Range, c *pricing.Catalog, attrKeys []string) ([]costRow, error) {
	query, args := s.sql["cost_rows"], append(ruleOf(c).args(), windowArgs(r)...)
	if len(attrKeys) > 0 {
		query = s.sql["cost_rows_attrs"]
		for i := range MaxAttrKeys {
			k := ""
			if i < len(attrKeys) {
				k = attrKeys[i]
			}
			args = append(args, k, k, k)
		}
		args = append(args, windowArgs(r)...)
	}
	rows, err := s.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, s.classify(ctx, "cost report", err)
	}
	defer rows.Close()
	var out []costRow
	for rows.Next() {
		var row costRow
		var day uint64
		dest := []any{&row.account, &day, &row.provider, &row.region, &row.arch, &row.memoryMB, &row.runtime,
			&row.function, &row.version, &row.trigger, &row.invocations, &row.billedMs, &row.initMs}
		if len(attrKeys) > 0 {
			dest = append(dest, &row.attrs[0], &row.attrs[1], &row.attrs[2], &row.attrs[3])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, scanFailed("cost report", err)
		}
		row.day = int64(day)
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, s.classify(ctx, "cost report", err)
	}
	rows.Close()
	// A catalog that bills instance activity periods gets them, at this
	// grain; grouped by attributes as well, the rows stay per execution
	// (an upper bound, which the pricing note states).
	if c.Rules.ActivityPeriods && len(attrKeys) == 0 && len(out) > 0 {
		acts, err := s.activityPeriods(ctx, r, "", []*pricing.Catalog{c})
		if err != nil {
			return nil, err
		}
		for i := range out {
			if a := acts[out[i].grain]; a != nil {
				out[i].billedMs, out[i].periods = a[0].billedMs, a[0].periods
			}
		}
	}
	return out, nil
}

// priceRow prices a row at list prices; billEffective may replace the
// amounts.
func priceRow(c *pricing.Catalog, row costRow) (*pricedRow, error) {
	u := row.usage()
	cost, err := c.Price(u)
	if err != nil {
		return nil, err
	}
	p := &pricedRow{row: row, usage: u, gbSeconds: cost.GBSeconds, note: cost.Note, lines: map[lineKey]*exactLine{}}
	for _, l := range cost.Lines {
		k := lineKey{string(l.Line), l.Meter, l.Region}
		p.lines[k] = &exactLine{unit: l.Unit, quantity: l.Quantity, list: l.Amount, amount: l.Amount}
	}
	return p, nil
}

func startOfMonth(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

type periodKey struct {
	account string
	month   time.Time
}

// billEffective bills the rows per account and month with pricing.Bill and
// shares each bill line among the rows (see CostReport). It returns the
// bills' notes.
func billEffective(c *pricing.Catalog, rows []*pricedRow, prior []costRow) ([]string, error) {
	members := map[periodKey][]*pricedRow{}
	var keys []periodKey
	for _, p := range rows {
		k := periodKey{p.row.account, startOfMonth(p.row.dayStart())}
		if _, ok := members[k]; !ok {
			keys = append(keys, k)
		}
		members[k] = append(members[k], p)
		// List amounts stay; the effective ones are shared out below.
		for _, l := range p.lines {
			l.amount = decimal.Zero
		}
	}
	priorOf := map[periodKey][]pricing.Usage{}
	for _, row := range prior {
		k := periodKey{row.account, startOfMonth(row.dayStart())}
		priorOf[k] = append(priorOf[k], row.usage())
	}
	periods := make([]pricing.Period, 0, len(keys))
	for _, k := range keys {
		ps := members[k]
		// In time order, so that prices and tiers apply as the month went.
		slices.SortStableFunc(ps, func(a, b *pricedRow) int { return cmp.Compare(a.row.day, b.row.day) })
		usages := make([]pricing.Usage, len(ps))
		for i, p := range ps {
			usages[i] = p.usage
		}
		periods = append(periods, pricing.Period{Account: k.account, Month: k.month, Prior: priorOf[k], Usage: usages})
	}
	bills, err := c.Bill(pricing.BillingEffective, periods)
	if err != nil {
		return nil, fmt.Errorf("analysis: cost report: %w", err)
	}
	var notes []string
	for _, b := range bills {
		month, err := time.Parse("2006-01", b.Month)
		if err != nil {
			return nil, fmt.Errorf("analysis: cost report: bill month %q: %w", b.Month, err)
		}
		ps := members[periodKey{b.Account, month}]
		for _, l := range b.Lines {
			share(ps, l)
		}
		for _, n := range b.Notes {
			if !slices.Contains(notes, n) {
				notes = append(notes, n)
			}
		}
	}
	return notes, nil
}

// share divides bill line l among ps by each one's quantity of it: of the
// same line for a charge, of the meter for a free-tier credit, of requests
// for a subscription. The last sharer takes the remainder, so the shares
// add up to the bill exactly.
func share(ps []*pricedRow, l pricing.LineItem) {
	weight := func(p *pricedRow) decimal.Decimal {
		w := decimal.Zero
		for k, x := range p.lines {
			switch l.Line {
			case pricing.LineFreeTier:
				if k.meter == l.Meter && k.region == l.Region && k.line != string(pricing.LineFreeTier) {
					w = w.Add(x.quantity)
				}
			case pricing.LineSubscription:
				if k.line == string(pricing.LineRequests) {
					w = w.Add(x.quantity)
				}
			default:
				if k == (lineKey{string(l.Line), l.Meter, l.Region}) {
					w = w.Add(x.quantity)
				}
			}
		}
		return w
	}
	ws := make([]decimal.Decimal, len(ps))
	total := decimal.Zero
	last := -1
	for i, p := range ps {
		ws[i] = weight(p)
		total = total.Add(ws[i])
		if ws[i].IsPositive() {
			last = i
		}
	}
	if last < 0 {
		// Nobody used it (cannot happen for a bill of these rows); the
		// first row carries it so that the total stays whole.
		last, ws[0], total = 0, decimal.NewFromInt(1), decimal.NewFromInt(1)
	}
	k := lineKey{string(l.Line), l.Meter, l.Region}
	amountLeft, qtyLeft := l.Amount, l.Quantity
	for i, p := range ps {
		if i > last || !ws[i].IsPositive() {
			continue
		}
		amount, qty := amountLeft, qtyLeft
		if i < last {
			amount = l.Amount.Mul(ws[i]).Div(total)
			qty = l.Quantity.Mul(ws[i]).Div(total)
		}
		amountLeft, qtyLeft = amountLeft.Sub(amount), qtyLeft.Sub(qty)
		x, ok := p.lines[k]
		if !ok {
			x = &exactLine{unit: l.Unit, quantity: decimal.Zero, list: decimal.Zero, amount: decimal.Zero}
			p.lines[k] = x
			if l.Line == pricing.LineFreeTier || l.Line == pricing.LineSubscription {
				x.quantity = qty
			}
		}
		x.amount = x.amount.Add(amount)
	}
}

// group is one item being summed.
type group struct {
	values                  []string
	item                    CostItem
	gbSeconds               decimal.Decimal
	request, compute, total decimal.Decimal
	lines                   map[lineKey]*exactLine
	uniform                 map[string]string // legacy field -> its value, "\x00" when mixed
	notes                   []string
}

// legacyFields are the CostItem fields a group fills when all its rows
// agree on them.
var legacyFields = []string{GroupFunction, GroupProvider, GroupRegion, GroupArchitecture, GroupMemory}

func groupItems(rows []*pricedRow, groupBy []string, attrSlot map[string]int) ([]CostItem, float64, *LineTotals) {
	groups := map[string]*group{}
	var order []*group
	for _, p := range rows {
		values := make([]string, len(groupBy))
		for i, k := range groupBy {
			values[i] = p.row.groupValue(k, attrSlot)
		}
		key := strings.Join(values, "\x00")
		g, ok := groups[key]
		if !ok {
			g = &group{values: values, lines: map[lineKey]*exactLine{}, uniform: map[string]string{}}
			for _, f := range legacyFields {
				g.uniform[f] = p.row.groupValue(f, nil)
			}
			groups[key] = g
			order = append(order, g)
		}
		for _, f := range legacyFields {
			if g.uniform[f] != p.row.groupValue(f, nil) {
				g.uniform[f] = "\x00"
			}
		}
		g.item.Invocations += p.row.invocations
		g.item.BilledDurationMs += p.row.billedMs
		g.gbSeconds = g.gbSeconds.Add(p.gbSeconds)
		if p.note != "" && !slices.Contains(g.notes, p.note) {
			g.notes = append(g.notes, p.note)
		}
		for k, l := range p.lines {
			x, ok := g.lines[k]
			if !ok {
				x = &exactLine{unit: l.unit}
				g.lines[k] = x
			}
			x.quantity, x.list, x.amount = x.quantity.Add(l.quantity), x.list.Add(l.list), x.amount.Add(l.amount)
		}
	}
	sortGroups(order, groupBy)
	items := make([]CostItem, 0, len(order))
	total := decimal.Zero
	var totals [7]decimal.Decimal
	for _, g := range order {
		it := g.item
		it.Group = map[string]string{}
		for i, k := range groupBy {
			it.Group[k] = g.values[i]
		}
		if v := g.uniform[GroupFunction]; v != "\x00" {
			it.Function = v
		}
		if v := g.uniform[GroupProvider]; v != "\x00" {
			it.Provider = v
		}
		if v := g.uniform[GroupRegion]; v != "\x00" {
			it.Region = v
		}
		if v := g.uniform[GroupArchitecture]; v != "\x00" {
			it.Architecture = v
		}
		if v, err := strconv.ParseUint(g.uniform[GroupMemory], 10, 32); err == nil {
			it.MemoryMB = uint32(v)
		}
		it.GBSeconds = g.gbSeconds.InexactFloat64()
		it.Lines = []CostLine{}
		var lt [7]decimal.Decimal
		keys := slices.SortedFunc(maps.Keys(g.lines), func(a, b lineKey) int {
			return cmp.Or(cmp.Compare(lineIndex(a.line), lineIndex(b.line)), cmp.Compare(a.meter, b.meter), cmp.Compare(a.region, b.region))
		})
		for _, k := range keys {
			l := g.lines[k]
			it.Lines = append(it.Lines, CostLine{Line: k.line, Meter: k.meter, Region: k.region, Unit: l.unit,
				Quantity: l.quantity.InexactFloat64(), ListUSD: l.list.InexactFloat64(), USD: l.amount.InexactFloat64()})
			i := lineIndex(k.line)
			lt[i] = lt[i].Add(l.amount)
			g.total = g.total.Add(l.amount)
			switch k.line {
			case string(pricing.LineRequests):
				g.request = g.request.Add(l.amount)
			case string(pricing.LineFreeTier):
			default:
				g.compute = g.compute.Add(l.amount)
			}
		}
		it.RequestUSD, it.ComputeUSD, it.TotalUSD = g.request.InexactFloat64(), g.compute.InexactFloat64(), g.total.InexactFloat64()
		it.LineUSD = lineTotals(lt)
		it.Note = strings.Join(g.notes, "; ")
		for i := range totals {
			totals[i] = totals[i].Add(lt[i])
		}
		total = total.Add(g.total)
		items = append(items, it)
	}
	return items, total.InexactFloat64(), lineTotals(totals)
}

var lineKinds = []pricing.Line{pricing.LineRequests, pricing.LineCompute, pricing.LineInit, pricing.LineProvisioned,
	pricing.LineStorage, pricing.LineSubscription, pricing.LineFreeTier}

func lineIndex(l string) int { return slices.Index(lineKinds, pricing.Line(l)) }

func lineTotals(a [7]decimal.Decimal) *LineTotals {
	return &LineTotals{Requests: a[0].InexactFloat64(), Compute: a[1].InexactFloat64(), Init: a[2].InexactFloat64(),
		ProvisionedConcurrency: a[3].InexactFloat64(), Storage: a[4].InexactFloat64(), Subscription: a[5].InexactFloat64(),
		FreeTierCredit: a[6].InexactFloat64()}
}

// sortGroups orders items by their group values in group_by order, memory
// sizes as numbers.
func sortGroups(gs []*group, groupBy []string) {
	slices.SortStableFunc(gs, func(a, b *group) int {
		for i, k := range groupBy {
			var c int
			if k == GroupMemory {
				x, _ := strconv.ParseUint(a.values[i], 10, 32)
				y, _ := strconv.ParseUint(b.values[i], 10, 32)
				c = cmp.Compare(x, y)
			} else {
				c = cmp.Compare(a.values[i], b.values[i])
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
}

// project extrapolates the month the window ends in: the window's usage in
// that month, per unit of time, continued to the month's end, billed with
// the month-to-date usage. prior is the usage of the month before the
// window when the window starts inside the month it ends in.
func project(c *pricing.Catalog, billing pricing.Billing, r Range, rows, prior []costRow) (CostProjection, error) {
	last := r.To.Add(-time.Nanosecond).UTC()
	monthStart := startOfMonth(last)
	monthEnd := monthStart.AddDate(0, 1, 0)
	basisFrom := r.From.UTC()
	if basisFrom.Before(monthStart) {
		basisFrom = monthStart
	}
	proj := CostProjection{Month: monthStart.Format("2006-01")}
	span, rest := r.To.Sub(basisFrom), monthEnd.Sub(r.To)
	factor := decimal.NewFromInt(int64(rest / time.Second)).Div(decimal.NewFromInt(max(int64(span/time.Second), 1)))
	scale := func(n uint64) uint64 { return uint64(decimal.NewFromUint64(n).Mul(factor).Round(0).IntPart()) }
	var accounts []string
	mtd, all := map[string][]pricing.Usage{}, map[string][]pricing.Usage{}
	add := func(row costRow, u pricing.Usage, toDate bool) {
		if !slices.Contains(accounts, row.account) {
			accounts = append(accounts, row.account)
		}
		if toDate {
			mtd[row.account] = append(mtd[row.account], u)
		}
		all[row.account] = append(all[row.account], u)
	}
	for _, row := range prior {
		add(row, row.usage(), true)
	}
	var basis []costRow
	for _, row := range rows {
		if !row.dayStart().Before(monthStart) {
			add(row, row.usage(), true)
			basis = append(basis, row)
		}
	}
	if rest > 0 {
		for _, row := range basis {
			u := row.usage()
			u.At = r.To.UTC()
			u.Invocations, u.BilledDurationMs, u.InitMs = scale(u.Invocations), scale(u.BilledDurationMs), scale(u.InitMs)
			add(row, u, false)
		}
	}
	bill := func(m map[string][]pricing.Usage) (decimal.Decimal, error) {
		periods := make([]pricing.Period, 0, len(accounts))
		for _, a := range accounts {
			periods = append(periods, pricing.Period{Account: a, Month: monthStart, Usage: m[a]})
		}
		bills, err := c.Bill(billing, periods)
		if err != nil {
			return decimal.Zero, fmt.Errorf("analysis: cost projection: %w", err)
		}
		total := decimal.Zero
		for _, b := range bills {
			total = total.Add(b.Total)
		}
		return total, nil
	}
	mtdTotal, err := bill(mtd)
	if err != nil {
		return proj, err
	}
	allTotal, err := bill(all)
	if err != nil {
		return proj, err
	}
	proj.MonthToDateUSD, proj.ProjectedTotalUSD = mtdTotal.InexactFloat64(), allTotal.InexactFloat64()
	proj.Basis = fmt.Sprintf("run rate: the usage from %s to %s (%s) scaled linearly to the %s left until %s, added to the month-to-date usage since %s, and the whole month billed %s",
		basisFrom.Format(time.RFC3339), r.To.UTC().Format(time.RFC3339), span, rest, monthEnd.Format(time.RFC3339), monthStart.Format(time.RFC3339), billing)
	return proj, nil
}
