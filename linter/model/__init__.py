"""Models of the inputs dlint reads: Dockerfiles, image archives, compose and daemon files."""
