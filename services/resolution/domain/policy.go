package domain

import "sort"

// RoutingTableAssigner marks assignments made by the routing table.
const RoutingTableAssigner = "routing-table"

// RoutingTable sends a case to the team owning the product.
type RoutingTable struct {
	ByProduct   map[string]string
	DefaultTeam string
}

// TeamFor returns the team for a product.
func (r RoutingTable) TeamFor(product string) string {
	if t, ok := r.ByProduct[product]; ok {
		return t
	}
	return r.DefaultTeam
}

// RootCause is one entry of the taxonomy of process causes. Causes name a
// process that failed, never a person.
type RootCause struct {
	Code        string `json:"code"`
	Description string `json:"description"`
}

// Taxonomy is the set of root causes a case may be resolved with.
type Taxonomy []RootCause

// Has reports whether code is in the taxonomy.
func (t Taxonomy) Has(code string) bool {
	for _, c := range t {
		if c.Code == code {
			return true
		}
	}
	return false
}

// Sorted returns the taxonomy ordered by code.
func (t Taxonomy) Sorted() Taxonomy {
	out := append(Taxonomy(nil), t...)
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// DefaultPolicy is the out-of-the-box routing table and taxonomy.
func DefaultPolicy() Policy {
	return Policy{
		Routing: RoutingTable{
			ByProduct: map[string]string{
				"broadband": "network-support", "mobile": "network-support", "tv": "network-support",
				"billing": "billing", "payments": "billing", "delivery": "logistics",
			},
			DefaultTeam: "customer-care",
		},
		Taxonomy: Taxonomy{
			{"network.outage", "The service was unavailable because of a network fault"},
			{"billing.incorrect-charge", "The customer was charged the wrong amount"},
			{"billing.proration-error", "A part-period charge or refund was calculated wrongly"},
			{"delivery.late", "A delivery or appointment was later than promised"},
			{"delivery.damaged", "Goods arrived damaged"},
			{"service.installation-missed", "An installation or engineer visit did not happen"},
			{"communication.unclear-information", "What the customer was told was unclear or wrong"},
			{"product.defect", "The product did not work as described"},
			{"policy.unclear-terms", "Terms or policy were unclear or unfair in effect"},
			{"process.handoff-failure", "Work was lost or delayed between teams or systems"},
		},
	}
}
