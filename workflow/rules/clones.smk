# Stage: clones (being written).
