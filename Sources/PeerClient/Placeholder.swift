// PeerClient
