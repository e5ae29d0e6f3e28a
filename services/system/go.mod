module github.com/complaintflow/complaintflow/services/system

go 1.26.0

require (
	github.com/complaintflow/complaintflow/proto v0.0.0
	github.com/complaintflow/complaintflow/services/compensation v0.0.0
	github.com/complaintflow/complaintflow/services/followup v0.0.0
	github.com/complaintflow/complaintflow/services/intake v0.0.0
	github.com/complaintflow/complaintflow/services/platform v0.0.0
	github.com/complaintflow/complaintflow/services/prevention v0.0.0
	github.com/complaintflow/complaintflow/services/resolution v0.0.0
)

replace (
	github.com/complaintflow/complaintflow/proto => ../../proto
	github.com/complaintflow/complaintflow/services/compensation => ../compensation
	github.com/complaintflow/complaintflow/services/followup => ../followup
	github.com/complaintflow/complaintflow/services/intake => ../intake
	github.com/complaintflow/complaintflow/services/platform => ../platform
	github.com/complaintflow/complaintflow/services/prevention => ../prevention
	github.com/complaintflow/complaintflow/services/resolution => ../resolution
)
