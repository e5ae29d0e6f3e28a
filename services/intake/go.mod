module github.com/complaintflow/complaintflow/services/intake

go 1.26.0
