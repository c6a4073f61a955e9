# Stage: report (being written).
