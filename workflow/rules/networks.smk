# Stage: networks (being written).
