# placeholder: being written
seaweedfs_install() { :; }
seaweedfs_start() { :; }
seaweedfs_stop() { :; }
seaweedfs_status() { echo "seaweedfs  (not yet)"; }
