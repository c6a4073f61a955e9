# Stage: theory (being written).
