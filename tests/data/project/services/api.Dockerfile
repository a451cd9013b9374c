# syntax=docker/dockerfile:1
FROM python
ADD api.py /srv/api.py
ENTRYPOINT ["python", "/srv/api.py"]
