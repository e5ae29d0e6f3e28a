module github.com/complaintflow/complaintflow/services/prevention

go 1.26.0
