module airflow-eks/pause

go 1.22
