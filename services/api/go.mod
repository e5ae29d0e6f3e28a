module github.com/complaintflow/complaintflow/services/api

go 1.26.0
