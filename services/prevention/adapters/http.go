// Package adapters holds prevention's HTTP API (http.go) and the
// projections that follow the log (consumers.go).
package adapters

import (
	"net/http"
	"time"

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

type rootCausesJSON struct {
	GeneratedAt time.Time           `json:"generated_at"`
	Position    uint64              `json:"log_position"`
	Total       int64               `json:"total"`
	Causes      []domain.CauseShare `json:"causes"`
}

func (h HTTP) rootCauses(w http.ResponseWriter, r *http.Request) {
	rep := h.App.RootCauses(r.Context())
	httpx.WriteJSON(w, http.StatusOK, rootCausesJSON{GeneratedAt: rep.GeneratedAt, Position: uint64(rep.Position), Total: rep.Total, Causes: rep.Causes})
}
