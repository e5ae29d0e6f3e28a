package domain_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// benchFacts is a table of n complaints received over 2025, each resolved,
// paid, surveyed and closed, with some transfers and reopens.
func benchFacts(n int) *domain.Facts {
	rng := rand.New(rand.NewPCG(1, 2))
	f := domain.NewFacts()
	year := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	products, causes := []string{"broadband", "mobile", "tv", "card", "loan", "insurance"}, []string{"a", "a", "a", "b", "b", "c", "d", "e", "f", "g"}
	for i := range n {
		id := fmt.Sprintf("c-%d", i)
		at := year.Add(time.Duration(i) * 365 * 24 * time.Hour / time.Duration(n))
		f.Evolve(&complaintsv1.ComplaintReceived{ComplaintId: id, Product: products[rng.IntN(6)], Channel: "web", Regime: "uk-fca", ReceivedAt: ts(at)}, at)
		f.Evolve(&complaintsv1.CaseAssigned{ComplaintId: id, Team: "t" + fmt.Sprint(rng.IntN(5))}, at)
		if rng.IntN(5) == 0 {
			f.Evolve(&complaintsv1.CaseTransferred{ComplaintId: id, ToTeam: "t9"}, at)
		}
		resolved := at.Add(time.Duration(rng.IntN(30*24)) * time.Hour)
		f.Evolve(resolved0(id, causes[rng.IntN(10)], resolved), at)
		f.Evolve(&complaintsv1.RedressIssued{ComplaintId: id, AmountMinor: int64(rng.IntN(10000)), Currency: "GBP"}, at)
		f.Evolve(&complaintsv1.SurveyAnswered{ComplaintId: id, Effort: int32(1 + rng.IntN(7))}, at)
		f.Evolve(&complaintsv1.ComplaintClosed{ComplaintId: id, ClosedAt: ts(resolved.Add(48 * time.Hour))}, at)
	}
	return f
}

func resolved0(id, cause string, at time.Time) *complaintsv1.CaseResolved {
	return resolved(id, cause, "", complaintsv1.Outcome_OUTCOME_UPHELD, false, at)
}

// BenchmarkReports times each report over 45,000 complaints, the size of a
// log of a million events:
//
//	go test -run '^$' -bench Reports ./services/prevention/domain/
func BenchmarkReports(b *testing.B) {
	f := benchFacts(45_000)
	year := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	b.Run("root-causes", func(b *testing.B) {
		for b.Loop() {
			f.RootCauseReport(domain.Filter{})
		}
	})
	b.Run("root-causes-quarter-product", func(b *testing.B) {
		for b.Loop() {
			f.RootCauseReport(domain.Filter{From: year.AddDate(0, 3, 0), To: year.AddDate(0, 6, 0), Product: "card"})
		}
	})
	b.Run("effort", func(b *testing.B) {
		for b.Loop() {
			f.EffortReport(domain.Filter{}, 7)
		}
	})
	b.Run("regulatory", func(b *testing.B) {
		for b.Loop() {
			f.RegulatoryReport("uk-fca", year, year.AddDate(1, 0, 0))
		}
	})
}
