module github.com/complaintflow/complaintflow/services/system

go 1.26.0
