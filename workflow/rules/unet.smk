# Stage: unet (being written).
