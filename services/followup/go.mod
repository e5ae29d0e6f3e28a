module github.com/complaintflow/complaintflow/services/followup

go 1.26.0
