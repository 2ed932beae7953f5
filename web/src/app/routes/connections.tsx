import { useNavigate, useParams } from 'react-router';
import { ConnectionPage, ConnectionsList, NewConnectionPage } from '../../features/connections';
import { ScheduleEditor, SchedulesList } from '../../features/schedules';

/** Connections and their schedules: the connection's page composes its builder and its schedule. */
export const ConnectionsRoute = () => <ConnectionsList />;

export const NewConnectionRoute = () => {
  const navigate = useNavigate();
  return <NewConnectionPage onSaved={(c) => navigate(`/connections/${encodeURIComponent(c.id)}`, { replace: true })} />;
};

export const ConnectionRoute = () => {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  return (
    <ConnectionPage
      key={id}
      id={id}
      onDeleted={() => navigate('/connections', { replace: true })}
      onRunStarted={(runId) => navigate(`/runs/${encodeURIComponent(runId)}`)}
    >
      <ScheduleEditor connectionId={id} />
    </ConnectionPage>
  );
};

export const SchedulesRoute = () => <SchedulesList />;
