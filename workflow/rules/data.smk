# Stage: data (being written).
