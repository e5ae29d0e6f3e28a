// Package adapters holds prevention's HTTP API (http.go) and the
// projections that follow the log (consumers.go).
package adapters

import (
	"net/http"

	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
	"github.com/complaintflow/complaintflow/services/prevention/app"
	"github.com/complaintflow/complaintflow/services/prevention/domain"
)

// HTTP serves prevention's reports under /v1/reports.
type HTTP struct{ App *app.Prevention }

// Routes registers the routes.
func (h HTTP) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/reports/root-causes", auth.Require(h.rootCauses, auth.RoleProcessOwner, auth.RoleAuditor, auth.RoleAdmin))
}

type rootCausesJSON = api.RootCauseReport

func (h HTTP) rootCauses(w http.ResponseWriter, r *http.Request) {
	rep := h.App.RootCauses(r.Context())
	httpx.WriteJSON(w, http.StatusOK, rootCausesJSON{GeneratedAt: rep.GeneratedAt, Position: uint64(rep.Position), Total: rep.Total, Causes: shares(rep.Causes)})
}

// shares is the report's lines on the wire.
func shares(causes []domain.CauseShare) []api.CauseShare {
	out := make([]api.CauseShare, 0, len(causes))
	for _, c := range causes {
		out = append(out, api.CauseShare(c))
	}
	return out
}
