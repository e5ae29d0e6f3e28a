package app

import "github.com/complaintflow/complaintflow/services/api"

// ProjectionList lists the service's projections and where they stand.
func (a *Prevention) ProjectionList() api.ProjectionList {
	return api.ProjectionList{Projections: a.projections.List()}
}

// ProjectionStatus is one projection's status; false when there is none of
// that name.
func (a *Prevention) ProjectionStatus(name string) (api.ProjectionStatus, bool) {
	return a.projections.Status(name)
}

// RebuildProjection starts rebuilding a projection from the whole log.
func (a *Prevention) RebuildProjection(name string) (api.ProjectionStatus, bool, error) {
	return a.projections.Rebuild(name)
}
