module github.com/complaintflow/complaintflow/services/resolution

go 1.26.0
