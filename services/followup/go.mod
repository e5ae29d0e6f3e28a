module github.com/complaintflow/complaintflow/services/followup

go 1.26.0

require (
	github.com/complaintflow/complaintflow/proto v0.0.0
	github.com/complaintflow/complaintflow/services/platform v0.0.0
)

replace (
	github.com/complaintflow/complaintflow/proto => ../../proto
	github.com/complaintflow/complaintflow/services/platform => ../platform
)
